using Dendrite.Gpu;
using Dendrite.Tests.Ops;
using Dendrite.Tests.TestSupport;

namespace Dendrite.Tests.Gpu;

// The seam's value tests, on the GPU backend's kernels run by ILGPU's simulator (acceptance 1 of issue 17). The
// recurrent ones take minutes there (a kernel launch per time step and unit test sizes of 50 steps): the recurrent
// kernels are checked by SimulatorAgreementTests instead.

[Collection(ProcessStateCollection.Name)] // the simulator's backend serves one thread at a time
public sealed class OpValueTestsOnSimulator : OpValueTests
{
    protected override Device Device => Device.Simulator;
}


/// <summary>
/// The op gradient-check table on the simulator: every op of the table once (its first shape), where the inputs hold at
/// most 32 values, since each central difference runs the op twice per input element at the simulator's pace.
/// </summary>
[Collection(ProcessStateCollection.Name)] // the simulator's backend serves one thread at a time
public class GradCheckTableOnSimulatorTests
{
    public static TheoryData<OpCase> Cases()
    {
        var data = new TheoryData<OpCase>();
        var seen = new HashSet<string>();
        foreach (var op in GradCheckTableTests.Cases())
        {
            string name = op.Name.Split(' ')[0];
            int values = op.Shapes.Sum(shape => shape.Aggregate(1, (a, b) => a * b));
            if (values <= 32 && seen.Add(name)) data.Add(op);
        }
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
