using Dendrite.Data;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Data;

public class TableTests
{
    private const string Csv = "id,height,weight,species\n1,1.5,20,cat\n2,\"2.25\",35,dog\n3,3,NA,cat\n4,4.5,,bird\n";

    [Fact]
    public void Reads_numeric_columns_by_name_with_quotes_and_spaces()
    {
        var table = Table.Parse("a, b\n1, 2\n\"3\",4\n", "t.csv");
        Assert.Equal(["a", "b"], table.Columns);
        var x = table.Numeric(["b", "a"]);
        Assert.Equal([2, 2], x.Shape.ToArray());
        Assert.Equal([2f, 1f, 4f, 3f], x.ToArray());
    }

    [Fact]
    public void Categorical_labels_keep_sorted_class_names_or_the_given_order()
    {
        var table = Table.Parse(Csv, "animals.csv");
        var (indices, classes) = table.Categorical("species");
        Assert.Equal(["bird", "cat", "dog"], classes);
        Assert.Equal([1f, 2f, 1f, 0f], indices.ToArray());
        var (given, _) = table.Categorical("species", ["dog", "cat", "bird"]);
        Assert.Equal([1f, 0f, 1f, 2f], given.ToArray());
    }

    [Fact]
    public void Missing_values_are_reported_by_line_and_column()
    {
        var table = Table.Parse(Csv, "animals.csv");
        Assert.Equal([new MissingCell(2, 4, "weight"), new MissingCell(3, 5, "weight")], table.MissingCells());
        var e = Assert.Throws<DataFormatException>(() => table.Numeric(["height", "weight"]));
        Assert.Contains("animals.csv: 2 missing value(s)", e.Message);
        Assert.Contains("line 4, column \"weight\"; line 5, column \"weight\"", e.Message);
        var complete = table.DropMissing(["weight"]);
        Assert.Equal(2, complete.RowCount);
        Assert.Equal([20f, 35f], complete.Numeric(["weight"]).ToArray());
        Assert.Equal(3, complete.LineOf(1));
    }

    [Fact]
    public void Bad_cells_name_file_line_and_column()
    {
        var e = Assert.Throws<DataFormatException>(() => Table.Parse("x,y\n1,2\n3,abc\n", "m.csv").Numeric(["x", "y"]));
        Assert.Equal("m.csv: line 3, column \"y\" (number 2): \"abc\" is not a number.", e.Message);
        var ragged = Assert.Throws<DataFormatException>(() => Table.Parse("x,y\n1,2\n3\n", "r.csv"));
        Assert.Equal("r.csv: line 3: 1 cells, but the header has 2 columns.", ragged.Message);
        var unknown = Assert.Throws<ArgumentException>(() => Table.Parse("x,y\n1,2\n", "u.csv").Numeric(["z"]));
        Assert.StartsWith("Table u.csv: no column \"z\"; the columns are x, y.", unknown.Message);
    }

    [Fact]
    public void Tsv_files_use_tabs_and_datasets_take_all_other_columns()
    {
        using var dir = new TempDirectory();
        string path = dir.File("plants.tsv");
        File.WriteAllText(path, "leaf\tstem\tkind\n1.0\t2.0\tA\n3.0\t4.0\tB\n");
        var data = Table.Read(path).ToDataset("kind");
        Assert.Equal(["leaf", "stem"], data.FeatureNames);
        Assert.Equal(["A", "B"], data.Classes!);
        Assert.Equal([1f, 2f, 3f, 4f], data.Dataset.Inputs.ToArray());
        Assert.Equal([0f, 1f], data.Dataset.Targets.ToArray());
    }

    [Fact]
    public void Vendored_tables_have_the_documented_sizes_and_classes()
    {
        var cancer = SampleTables.BreastCancer();
        Assert.Equal(569, cancer.Dataset.Count);
        Assert.Equal(30, cancer.FeatureNames.Length);
        Assert.Equal(["benign", "malignant"], cancer.Classes!);
        Assert.Equal(212, cancer.Dataset.Targets.ToArray().Count(t => t == 1f));
        // First row of the original file: mean radius 17.99, a malignant tumour.
        Assert.Equal(17.99f, cancer.Dataset.Inputs.Data[0]);
        Assert.Equal(1f, cancer.Dataset.Targets.Data[0]);
        var diabetes = SampleTables.Diabetes();
        Assert.Equal(442, diabetes.Dataset.Count);
        Assert.Null(diabetes.Classes);
        Assert.Equal(151f, diabetes.Dataset.Targets.Data[0]);
        Assert.Equal(67243.0, diabetes.Dataset.Targets.ToArray().Sum(t => (double)t));
    }
}
