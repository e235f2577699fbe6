using Dendrite.Cli;
using Dendrite.Generative;
using Dendrite.IO;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Cli;

/// <summary><c>dendrite train mnist-autoencoder</c> and <c>mnist-gan</c>: their own options and their errors.</summary>
[Collection(ProcessStateCollection.Name)]
public class GenerativeCliTests
{
    private static (int Code, string Out, string Error) Run(params string[] args) => CliRunner.Run(args);

    [Fact]
    public void Help_names_both_models_and_their_options()
    {
        var (code, output, _) = Run("train", "--help");
        Assert.Equal(0, code);
        foreach (string s in new[] { "mnist-autoencoder", "mnist-gan", "--variant", "--judge", "--minutes", "--generator", "--sample-every" })
            Assert.Contains(s, output);
    }

    [Fact]
    public void An_unknown_autoencoder_variant_is_one_line_naming_the_choices()
    {
        var (code, _, error) = Run("train", "mnist-autoencoder", "--variant", "sparse");
        Assert.Equal(1, code);
        Assert.Equal("dendrite: error: mnist-autoencoder: unknown variant \"sparse\"; available: dense, conv, dense-2d, all.", error.Trim());
    }

    [Fact]
    public void Judging_needs_existing_weight_files_and_fails_before_training()
    {
        using var dir = new TempDirectory();
        var (code, output, error) = Run("train", "mnist-gan", "--judge", dir.File("none.safetensors"));
        Assert.Equal(1, code);
        Assert.Contains("classifier weights not found", error);
        Assert.Contains("dendrite train mnist-cnn --out DIR", error);
        Assert.DoesNotContain("Training a DCGAN", output);

        Torch.ManualSeed(1);
        SafeTensors.Save(dir.File("judge.safetensors"), Presets.MnistCnn().StateDict());
        (code, _, error) = Run("train", "mnist-gan", "--judge", dir.File("judge.safetensors"), "--generator", dir.File("g.safetensors"));
        Assert.Equal(1, code);
        Assert.Contains("generator weights not found", error);
    }

    [Fact]
    public void A_saved_generator_is_judged_without_training()
    {
        using var dir = new TempDirectory();
        Torch.ManualSeed(1);
        SafeTensors.Save(dir.File("judge.safetensors"), Presets.MnistCnn().StateDict());
        SafeTensors.Save(dir.File("g.safetensors"), Dcgan.Generator(classes: 10).StateDict());
        SafeTensors.Save(dir.File("plain.safetensors"), Dcgan.Generator().StateDict());

        var (code, output, error) = Run("train", "mnist-gan", "--judge", dir.File("judge.safetensors"),
            "--generator", dir.File("g.safetensors"));

        Assert.Equal("", error);
        Assert.Equal(1, code);   // an untrained generator's noise is no digit: the bar is missed
        Assert.Contains("no training", output);
        Assert.Contains("Judged 1000 generated digits (100 or more asked of each class)", output);
        Assert.Contains("class           0     1     2", output);
        Assert.Contains("Within-class spread", output);

        // The plain DCGAN's generator takes no class: it needs --unconditional, and says so when it is missing.
        (code, _, error) = Run("train", "mnist-gan", "--judge", dir.File("judge.safetensors"), "--generator", dir.File("plain.safetensors"));
        Assert.Equal(1, code);
        Assert.Contains("does not fit the class-conditional generator", error);
        Assert.Contains("--unconditional", error);
        (code, output, error) = Run("train", "mnist-gan", "--judge", dir.File("judge.safetensors"), "--generator", dir.File("plain.safetensors"), "--unconditional");
        Assert.Equal(("", 1), (error, code));
        Assert.Contains("Judged 1000 generated digits with", output);
    }
}
