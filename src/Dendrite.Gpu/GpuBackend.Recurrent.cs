using Dendrite.Backends;
using Dendrite.Gpu.Kernels;
using ILGPU;

namespace Dendrite.Gpu;

public sealed partial class GpuBackend
{
    private Action<Index1D, StepArgs>? _recurrentForward, _recurrentBackward;

    private StepArgs Step(in RecurrentStep s) => new()
    {
        Mask = ViewOrPlaceholder(s.Mask), Gates = View(s.Gates), Output = View(s.Output), H = ViewOrPlaceholder(s.H),
        C = ViewOrPlaceholder(s.C), TanhC = ViewOrPlaceholder(s.TanhC), HiddenProjection = ViewOrPlaceholder(s.HiddenProjection),
        HiddenProjectionN = ViewOrPlaceholder(s.HiddenProjectionN), CellIn = ViewOrPlaceholder(s.CellIn),
        HiddenIn = ViewOrPlaceholder(s.HiddenIn), Dh = ViewOrPlaceholder(s.Dh), DhNext = ViewOrPlaceholder(s.DhNext),
        Dc = ViewOrPlaceholder(s.Dc), DGates = ViewOrPlaceholder(s.DGates), DGatesHidden = ViewOrPlaceholder(s.DGatesHidden),
        HasMask = s.Mask is not null, Cell = s.Cell, Steps = s.Steps, Batch = s.Batch, Hidden = s.Hidden,
        Directions = s.Directions, Direction = s.Direction, Time = s.Time, GateCount = RecurrentStep.GateCount(s.Cell),
    };

    public override void RecurrentForwardStep(in RecurrentStep s) =>
        Launch(ref _recurrentForward, GpuKernels.RecurrentForward, s.Batch * s.Hidden, Step(s));

    public override void RecurrentBackwardStep(in RecurrentStep s) =>
        Launch(ref _recurrentBackward, GpuKernels.RecurrentBackward, s.Batch * s.Hidden, Step(s));
}
