using Dendrite.Gpu;
using Dendrite.Tests.Ops;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Gpu;

// The seam's value tests and gradient checks, on the GPU backend's kernels run by ILGPU's simulator (acceptance 1 of
// issue 17), which runs a kernel launch in about a millisecond: recurrent layers launch several per time step.

[Collection(ProcessStateCollection.Name)] // the simulator's backend serves one thread at a time
public sealed class OpValueTestsOnSimulator : OpValueTests
{
    protected override Device Device => Device.Simulator;
}


/// <summary>
/// The op gradient-check table on the simulator: every case of the CPU devices' table, every op at every shape (its
/// shapes are toy ones already).
/// </summary>
[Collection(ProcessStateCollection.Name)] // the simulator's backend serves one thread at a time
public class GradCheckTableOnSimulatorTests
{
    public static TheoryData<OpCase> Cases()
    {
        var data = new TheoryData<OpCase>();
        foreach (var op in GradCheckTableTests.Cases()) data.Add(op);
        return data;
    }

    [Theory, MemberData(nameof(Cases))]
    public void Backward_matches_central_differences_on_the_simulator(OpCase op) =>
        new GradCheckTableTests().Backward_matches_central_differences(op, Device.Simulator.Name);
}

[Collection(ProcessStateCollection.Name)] // the simulator's backend serves one thread at a time
public sealed class ConvolutionValueTestsOnSimulator : ConvolutionValueTests
{
    protected override Device Device => Device.Simulator;
}

[Collection(ProcessStateCollection.Name)] // the simulator's backend serves one thread at a time
public sealed class RecurrentValueTestsOnSimulator : RecurrentValueTests
{
    protected override Device Device => Device.Simulator;

    /// <summary>The small batches only (the large ones are there for the CPU's row split), one of them from no initial state.</summary>
    protected override IEnumerable<(int Layers, bool Bidirectional, int Batch, bool Masked, int Steps)> FusedCases =>
        [.. base.FusedCases.Where(c => c.Batch < 16), (1, false, 3, true, 7)];
}

/// <summary>
/// Backpropagation through time on the simulator, for each cell: one layer forward with initial states and a batch of
/// 3, and two bidirectional layers at batch 1 (every recurrent kernel, both directions, a layer fed by another), at 3
/// steps of 2 inputs and 2 units. Every element is perturbed twice, and each run is a kernel launch per step and gate
/// pass at the simulator's pace: the CPU table's 4 steps, 3 inputs and 4 units take minutes a case here.
/// </summary>
[Collection(ProcessStateCollection.Name)] // the simulator's backend serves one thread at a time
public class RecurrentGradCheckOnSimulatorTests
{
    [Theory]
    [InlineData("rnn", 1, false, 3, true)]
    [InlineData("rnn", 2, true, 1, false)]
    [InlineData("rnn-relu", 1, false, 3, true)]
    [InlineData("lstm", 1, false, 3, true)]
    [InlineData("lstm", 2, true, 1, false)]
    [InlineData("gru", 1, false, 3, true)]
    [InlineData("gru", 2, true, 1, false)]
    public void Backpropagation_through_time_matches_central_differences_on_the_simulator(string cell, int layers,
        bool bidirectional, int batch, bool initialStates) =>
        RecurrentGradCheckTests.Check(cell, layers, bidirectional, batch, initialStates, Device.Simulator.Name,
            steps: 3, inputSize: 2, hidden: 2);
}
