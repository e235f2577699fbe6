namespace Dendrite.Data;

/// <summary>
/// The two classic tables vendored under <c>data/tables</c> (see its README for origin, licence and conversion), read
/// through <see cref="Table"/> like any user file: Wisconsin breast cancer (classification) and diabetes (regression).
/// </summary>
public static class SampleTables
{
    public const string BreastCancerFile = "breast_cancer.csv";
    public const string DiabetesFile = "diabetes.csv";

    /// <summary>
    /// 569 tumours × 30 nucleus measurements; target "diagnosis" with classes ["benign", "malignant"] (sorted names,
    /// so benign = 0, malignant = 1: the positive class of a binary score is malignant).
    /// </summary>
    public static TableData BreastCancer(string? directory = null) =>
        Table.Read(PathOf(BreastCancerFile, directory)).ToDataset("diagnosis");

    /// <summary>442 patients × 10 baseline variables (unscaled); numeric target "progression" [N].</summary>
    public static TableData Diabetes(string? directory = null) =>
        Table.Read(PathOf(DiabetesFile, directory)).ToDataset("progression", categoricalTarget: false);

    private static string PathOf(string file, string? directory)
    {
        string dir = directory ?? VendoredData.Find("tables", file) ?? throw new DirectoryNotFoundException(
            $"SampleTables: no data/tables folder with {file} above the working or application directory; pass a directory.");
        return Path.Combine(dir, file);
    }
}
