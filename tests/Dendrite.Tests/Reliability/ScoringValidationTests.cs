using Dendrite.IO;
using Dendrite.NN;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Reliability;

/// <summary>
/// Issue 20's silent nonsense from eval and predict: labels outside the model's classes, non-finite inputs, models
/// that are not classifiers, hold NaN or are empty, a zero divisor, and a CSV first row taken for a header.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public class ScoringValidationTests
{
    // A 4-feature, 3-class classifier: small enough to write its CSV rows by hand.
    private static string Classifier(TempDirectory dir)
    {
        string path = dir.File("clf.safetensors");
        new Sequential(new Linear(4, 3, generator: new Generator(5))).Save(path, new Shape(4));
        return path;
    }

    private static string Error(params string[] args)
    {
        var (code, output, error) = CliRunner.Run(args);
        Assert.Equal(1, code);
        Assert.DoesNotContain("Accuracy", output);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, error);
        return lines[0];
    }

    [Theory]
    [InlineData("12", "sample 1's label is 12, outside the model's 3 classes (0 to 2).")]
    [InlineData("3", "sample 1's label is 3, outside the model's 3 classes (0 to 2).")]
    [InlineData("-1", "line 2, column 1: the label \"-1\" is not a class number (0, 1, 2, …).")]
    [InlineData("3.5", "line 2, column 1: the label \"3.5\" is not a class number (0, 1, 2, …).")]
    [InlineData("NaN", "line 2, column 1: \"NaN\" is not a finite number.")]
    public void A_label_that_is_not_one_of_the_models_classes_is_refused_with_file_and_row(string label, string expected)
    {
        using var dir = new TempDirectory();
        string model = Classifier(dir), csv = dir.File("d.csv");
        File.WriteAllLines(csv, ["0,1,2,3,4", $"{label},1,2,3,4", "2,0,0,0,0"]);
        Assert.Equal($"dendrite: error: {csv}: {expected}", Error("eval", model, "--csv", csv));
    }

    [Fact]
    public void An_IDX_label_outside_the_classes_is_refused_with_its_byte_offset()
    {
        using var dir = new TempDirectory();
        string model = Classifier(dir);
        File.WriteAllBytes(dir.File("x.idx"), [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8]);
        File.WriteAllBytes(dir.File("y.idx"), [0, 0, 8, 1, 0, 0, 0, 2, 1, 9]);
        Assert.Equal($"dendrite: error: {dir.File("y.idx")}: label 1 (byte offset 9) is 9, outside the model's 3 classes (0 to 2).",
            Error("eval", model, "--images", dir.File("x.idx"), "--labels", dir.File("y.idx"), "--input-shape", "4"));
    }

    [Theory]
    [InlineData("eval", "1,NaN,0,0,0", "column 2: \"NaN\"")]
    [InlineData("eval", "1,0,Infinity,0,0", "column 3: \"Infinity\"")]
    [InlineData("predict", "0,-Infinity,0,0", "column 2: \"-Infinity\"")]
    public void Non_finite_inputs_are_refused_with_line_and_column(string verb, string row, string where)
    {
        using var dir = new TempDirectory();
        string model = Classifier(dir), csv = dir.File("d.csv");
        File.WriteAllLines(csv, ["2,1,1,1" + (verb == "eval" ? ",1" : ""), row]);
        string[] args = verb == "eval" ? ["eval", model, "--csv", csv] : ["predict", model, csv];
        Assert.Equal($"dendrite: error: {csv}: line 2, {where} is not a finite number.", Error(args));
    }

    [Fact]
    public void A_model_with_NaN_weights_or_no_parameters_is_refused()
    {
        using var dir = new TempDirectory();
        var broken = new Sequential(new Linear(4, 3));
        broken.StateDict()["0.bias"].Data[1] = float.NaN;
        broken.Save(dir.File("nan.safetensors"), new Shape(4));
        new Sequential().Save(dir.File("empty.safetensors"), new Shape(1, 28, 28));
        File.WriteAllLines(dir.File("d.csv"), ["1,1,2,3,4"]);

        Assert.Equal($"dendrite: error: {dir.File("nan.safetensors")}: \"0.bias\" holds NaN or infinity; the model's outputs would be meaningless.",
            Error("eval", dir.File("nan.safetensors"), "--csv", dir.File("d.csv")));
        Assert.Equal($"dendrite: error: {dir.File("empty.safetensors")}: the model has no parameters, so it has learned nothing to score with.",
            Error("predict", dir.File("empty.safetensors"), dir.File("d.csv")));
    }

    [Fact]
    public void A_model_that_is_not_a_classifier_is_not_scored_and_predict_prints_its_raw_outputs_under_a_warning()
    {
        using var dir = new TempDirectory();
        var regressor = new Sequential(new Linear(4, 1, generator: new Generator(3)));
        regressor.Save(dir.File("reg.safetensors"), new Shape(4));
        File.WriteAllLines(dir.File("d.csv"), ["1,1,2,3,4"]);
        File.WriteAllLines(dir.File("p.csv"), ["1,2,3,4"]);

        string line = Error("eval", dir.File("reg.safetensors"), "--csv", dir.File("d.csv"));
        Assert.StartsWith($"dendrite: error: {dir.File("reg.safetensors")}: accuracy needs class scores, but the model outputs shape [1, 1] (1 value per sample; the first sample's: ", line);

        var (code, output, error) = CliRunner.Run("predict", dir.File("reg.safetensors"), dir.File("p.csv"));
        Assert.Equal(0, code);
        Assert.StartsWith($"dendrite: warning: {dir.File("reg.safetensors")}: the model outputs shape [1, 1]", error);
        float raw = regressor.Forward(Tensor.FromArray([1f, 2f, 3f, 4f], 1, 4)).Data[0];
        Assert.Equal($"{dir.File("p.csv")}: outputs {raw.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)}\n", output);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-255")]
    [InlineData("NaN")]
    public void A_divisor_that_is_not_a_positive_number_is_refused(string divisor)
    {
        using var dir = new TempDirectory();
        File.WriteAllLines(dir.File("d.csv"), ["1,1,2,3,4"]);
        Assert.Equal($"dendrite: error: --divide-by must be a positive number, got {divisor}.",
            Error("eval", Classifier(dir), "--csv", dir.File("d.csv"), "--divide-by", divisor));
    }

    [Fact]
    public void An_input_shape_too_large_for_a_tensor_names_the_option()
    {
        using var dir = new TempDirectory();
        File.WriteAllLines(dir.File("d.csv"), ["1,1,2,3,4"]);
        Assert.Equal("dendrite: error: --input-shape 99999,99999,99999 has more than 2147483647 elements per sample, more than a tensor holds.",
            Error("eval", Classifier(dir), "--csv", dir.File("d.csv"), "--input-shape", "99999,99999,99999"));
    }

    [Fact]
    public void A_first_row_with_a_typo_among_numbers_is_an_error_naming_row_and_column_not_a_header()
    {
        using var dir = new TempDirectory();
        string model = Classifier(dir), csv = dir.File("d.csv");
        File.WriteAllLines(csv, ["1,0.5,O.25,1,0", "2,1,1,1,1"]);   // a letter O for a zero

        Assert.Equal($"dendrite: error: {csv}: line 1, column 3: \"O.25\" is not a number (pass --header if the first row names the columns).",
            Error("eval", model, "--csv", csv));

        // An explicit --header skips the first row whatever it holds; --no-header keeps an all-text first row as data.
        var (code, output, _) = CliRunner.Run("eval", model, "--csv", csv, "--header");
        Assert.Equal(0, code);
        Assert.Contains("of 1 samples", output);
        File.WriteAllLines(csv, ["a,b,c,d,e", "2,1,1,1,1"]);
        Assert.Contains("of 1 samples", CliRunner.Run("eval", model, "--csv", csv).Out);
        Assert.Equal($"dendrite: error: {csv}: line 1, column 1: \"a\" is not a number.", Error("eval", model, "--csv", csv, "--no-header"));
    }
}
