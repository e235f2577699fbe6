namespace Dendrite.Tests.Layering;

/// <summary>
/// DESIGN.md's layers, enforced on the built library: dependencies point one way, Training → NN/Optim/Data → Ops →
/// Tensors + Autograd → Backends, and a backend knows no tensor, node, module or generator.
/// </summary>
public class LayeringTests
{
    private static readonly Lazy<LayerDependencies> s_library =
        new(() => LayerDependencies.Read(typeof(Tensor).Assembly.Location));

    private static bool InBackends(string folder) => folder == "Backends" || folder.StartsWith("Backends/", StringComparison.Ordinal);

    /// <summary>The layers under Training: they may not use Training, IO or anything that serves the command line.</summary>
    private static readonly string[] s_belowTraining = ["Backends", "Tensors", "Autograd", "Ops", "NN", "Optim", "Data"];

    private static bool BelowTraining(string folder) =>
        s_belowTraining.Any(layer => folder == layer || folder.StartsWith(layer + "/", StringComparison.Ordinal));

    private static bool TrainingOrIO(string folder) =>
        folder is "Training" or "IO" || folder.StartsWith("Training/", StringComparison.Ordinal) || folder.StartsWith("IO/", StringComparison.Ordinal);

    [Fact]
    public void The_backends_use_nothing_above_them()
    {
        var library = s_library.Value;
        Assert.Contains(library.FolderOf, t => t.Value == "Backends/Cpu");   // the map found the folders
        var violations = library.Violations(InBackends, folder => !InBackends(folder));
        Assert.True(violations.Count == 0, "Backends reach up:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void Nothing_below_training_uses_training_or_io()
    {
        var violations = s_library.Value.Violations(BelowTraining, TrainingOrIO);
        Assert.True(violations.Count == 0, "Lower layers reach up:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void The_library_references_no_command_line_assembly()
    {
        var references = typeof(Tensor).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();
        Assert.DoesNotContain(references, name => name!.Contains("Cli", StringComparison.Ordinal) || name == "System.CommandLine");
    }

    [Fact]
    public void The_checker_reports_a_deliberate_violation()
    {
        // The ops use tensors, as they must: declared forbidden, that dependency has to show, with both ends named.
        var violations = s_library.Value.Violations(folder => folder == "Ops", folder => folder == "Tensors");
        Assert.Contains(violations, v => v.StartsWith("Dendrite.F → Dendrite.Tensor ", StringComparison.Ordinal));
        // And a backend that named a tensor would be caught: the tensor's own folder uses the backends, seen from above.
        Assert.Contains(s_library.Value.Violations(folder => folder == "Tensors", InBackends),
            v => v.StartsWith("Dendrite.Tensor → Dendrite.Backends.Backend ", StringComparison.Ordinal));
    }
}
