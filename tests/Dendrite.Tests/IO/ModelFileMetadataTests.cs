using Dendrite.IO;
using Dendrite.NN;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.IO;

public class ModelFileMetadataTests
{
    [Fact]
    public void Extra_metadata_is_saved_beside_the_architecture_and_older_files_load_without_it()
    {
        using var dir = new TempDirectory();
        var model = new Sequential(new Linear(3, 2));
        string withExtra = Path.Combine(dir.Path, "with.safetensors"), without = Path.Combine(dir.Path, "without.safetensors");
        model.Save(withExtra, new Shape(3), new Dictionary<string, string> { [ModelFile.ClassesKey] = "[\"a\",\"b\"]" });
        model.Save(without, new Shape(3));

        var metadata = ModelFile.ReadMetadata(withExtra);
        Assert.Equal("[\"a\",\"b\"]", metadata[ModelFile.ClassesKey]);
        Assert.Equal("[3]", metadata[ModelFile.InputShapeKey]);
        Assert.False(ModelFile.ReadMetadata(without).ContainsKey(ModelFile.ClassesKey));
        foreach (string path in new[] { withExtra, without })
        {
            var (loaded, shape) = ModelFile.LoadWithInfo(path);
            Assert.Equal(new Shape(3), shape);
            Assert.Equal(model.StateDict()["0.weight"].ToArray(), loaded.StateDict()["0.weight"].ToArray());
        }
    }

    [Fact]
    public void Extra_metadata_may_not_replace_what_the_model_file_writes_itself()
    {
        using var dir = new TempDirectory();
        var error = Assert.Throws<ArgumentException>(() => new Sequential(new Linear(3, 2)).Save(Path.Combine(dir.Path, "m.safetensors"), null,
            new Dictionary<string, string> { [ModelFile.ArchitectureKey] = "{}" }));
        Assert.StartsWith("ModelFile.Save: metadata key \"dendrite.architecture\" is written by the model file itself.", error.Message);
        Assert.False(File.Exists(Path.Combine(dir.Path, "m.safetensors")));
    }
}
