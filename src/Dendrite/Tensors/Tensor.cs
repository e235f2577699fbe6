using System.Runtime.InteropServices;
using Dendrite.Autograd;
using Dendrite.Backends;

namespace Dendrite;

/// <summary>
/// An n-dimensional array of float32 values in contiguous row-major storage, with an optional gradient.
/// </summary>
/// <remarks>
/// Storage is a managed <c>float[]</c>: tensors never need disposing. Views (<see cref="Reshape"/>,
/// <see cref="Slice"/>) share storage with the tensor they come from, so writes through one show in the other.
/// Operations return new tensors; only optimisers and kernels write in place.
/// </remarks>
public partial class Tensor
{
    private Storage _storage;
    private bool _requiresGrad;

    /// <summary>A tensor of <paramref name="shape"/> over <paramref name="storage"/> (not copied), made by <paramref name="device"/>'s backend.</summary>
    internal Tensor(Storage storage, Shape shape, Device device) : this(storage, shape, device, null) { }

    /// <summary>A view: <paramref name="writes"/> is shared with the tensor whose storage it sees (PyTorch's version counter).</summary>
    private Tensor(Storage storage, Shape shape, Device device, WriteCount? writes)
    {
        _writes = writes;
        if (shape.Numel > storage.Length)
            throw new ArgumentException($"Tensor: shape {shape} does not fit a storage of {storage.Length} elements.");
        // Views keep exactly their own values, so a backend can take a storage's length as the element count.
        _storage = storage.Length == shape.Numel ? storage : storage.Slice(0, shape.Numel);
        Shape = shape;
        Device = device;
    }

    /// <summary>Wraps host memory <paramref name="storage"/> (not copied) from <paramref name="offset"/> as a CPU tensor of <paramref name="shape"/>.</summary>
    internal Tensor(float[] storage, int offset, Shape shape)
        : this(HostStorage(storage, offset, shape), shape, Device.Cpu) { }

    internal Tensor(Shape shape) : this(shape, Device.Cpu) { }

    internal Tensor(Shape shape, Device device) : this(NewStorage(shape.Numel, device), shape, device) { }

    private static CpuStorage HostStorage(float[] storage, int offset, Shape shape)
    {
        if (offset < 0 || offset + shape.Numel > storage.Length)
            throw new ArgumentException($"Tensor: shape {shape} at offset {offset} does not fit a storage of {storage.Length} elements.");
        return new CpuStorage(storage, offset, shape.Numel);
    }

    /// <summary>
    /// Uninitialised storage. Host memory comes from the current <see cref="TensorScope"/> when one is open (so a
    /// training step recycles its buffers), else fresh; other devices allocate through their backend.
    /// </summary>
    private static Storage NewStorage(int length, Device device)
    {
        if (!device.IsHost) return device.Backend.Allocate(length);
        return new CpuStorage(length == 0 ? [] : TensorScope.Current?.Rent(length) ?? GC.AllocateUninitializedArray<float>(length));
    }

    public Shape Shape { get; }
    public int Rank => Shape.Rank;
    public int Numel => Shape.Numel;

    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public int Size(int dim) => Shape[dim];

    /// <summary>The device whose backend holds this tensor's values and computes on them.</summary>
    public Device Device { get; private set; }

    /// <summary>The backend of <see cref="Device"/>, which the ops ask for every number.</summary>
    public Backend Backend => Device.Backend;

    /// <summary>
    /// The tensor's values in row-major order, as a writable span over its host storage: for host-side code (readers,
    /// pictures, checkpoints). A tensor on another device has no span; copy it with <see cref="To"/>(Device.Cpu).
    /// </summary>
    /// <remarks>Taking the span counts as a write (<see cref="Version"/>): weights packed for a kernel are made anew
    /// after it. Write through a span taken after a forward call, not one held across calls.</remarks>
    public Span<float> Data
    {
        get
        {
            if (_storage is not CpuStorage host)
                throw new InvalidOperationException(
                    $"Tensor.Data: this tensor {Shape} lives on {Device}, not in host memory; copy it with To(Device.Cpu) to read its values.");
            Writes.Count++;
            return host.Span;
        }
    }

    /// <summary>The writes counted for these values, one counter for a tensor and all its views; made when first needed
    /// (most tensors of a training step are never written after their op, nor viewed).</summary>
    private WriteCount? _writes;

    private WriteCount Writes => _writes ??= new WriteCount();

    private sealed class WriteCount
    {
        public int Count;
    }

    /// <summary>
    /// Counts the writes this tensor's values may have had, through it or any view of its storage (PyTorch's
    /// <c>_version</c>): host spans taken, optimiser steps, moves. A layer that keeps its weights packed for a kernel
    /// packs them again when the count moves.
    /// </summary>
    internal int Version => _writes?.Count ?? 0;

    /// <summary>Records a write made through the backend (an optimiser's update, a perturbation).</summary>
    internal void MarkModified() => Writes.Count++;

    /// <summary>The backend storage holding the values: exactly <see cref="Numel"/> of them.</summary>
    internal Storage Storage => _storage;

    /// <summary>The host array behind a CPU tensor (shared with its views), for host-side code that works on arrays.</summary>
    internal float[] HostArray => ((CpuStorage)_storage).Array;

    /// <summary>Where this tensor's values start in <see cref="HostArray"/>.</summary>
    internal int HostOffset => ((CpuStorage)_storage).Offset;

    /// <summary>The gradient accumulated by <see cref="Backward"/>; null until a backward pass reaches this tensor.</summary>
    public Tensor? Grad { get; set; }

    /// <summary>A gradient buffer set aside by <see cref="ReleaseGrad"/>, which the next backward fills instead of allocating.</summary>
    private Tensor? _spareGrad;

    /// <summary>
    /// Sets <see cref="Grad"/> to null (what <c>ZeroGrad()</c> does by default) but keeps its buffer for the next
    /// backward pass to write into, so training loops take no fresh memory for gradients. As with PyTorch's in-place
    /// zeroing, a gradient tensor you hold on to is overwritten by a later backward: clone it to keep it.
    /// </summary>
    public void ReleaseGrad()
    {
        if (Grad is not null && Grad.Shape == Shape) _spareGrad = Grad;
        Grad = null;
    }

    /// <summary>The buffer <see cref="ReleaseGrad"/> set aside, taken (it is handed out once).</summary>
    internal Tensor? TakeSpareGrad()
    {
        var spare = _spareGrad;
        _spareGrad = null;
        return spare;
    }

    /// <summary>
    /// The spare gradient buffer a backward function is writing this leaf's gradient into (<see cref="Autograd.Tape.NewGradient"/>);
    /// the tape makes it <see cref="Grad"/> as it is, without copying.
    /// </summary>
    internal Tensor? GradInProgress { get; set; }

    /// <summary>The node that produced this tensor when it was recorded on the tape; null for leaves.</summary>
    public Node? GradFn { get; internal set; }

    /// <summary>True for tensors created by the user (not by a recorded op); only leaves receive <see cref="Grad"/>.</summary>
    public bool IsLeaf => GradFn is null;

    /// <summary>Whether operations on this tensor are recorded for backpropagation. Settable on leaves only.</summary>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (!IsLeaf && !value)
                throw new InvalidOperationException($"RequiresGrad: cannot turn off gradients of a non-leaf tensor (made by {GradFn!.Op}); use Detach().");
            _requiresGrad = value;
        }
    }

    internal void MarkRecorded(Node node)
    {
        GradFn = node;
        _requiresGrad = true;
    }

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor, for chaining (PyTorch's <c>requires_grad_()</c>).</summary>
    public Tensor RequireGrad(bool requires = true)
    {
        RequiresGrad = requires;
        return this;
    }

    // ---------------------------------------------------------------- creation

    /// <summary>A tensor holding a copy of <paramref name="values"/> in the given shape (1-D when no shape is given).</summary>
    public static Tensor FromArray(float[] values, params int[] shape)
    {
        var s = shape.Length == 0 ? new Shape(values.Length) : new Shape(shape);
        if (s.Numel != values.Length)
            throw new ShapeMismatchException($"FromArray: {values.Length} values cannot fill shape {s} ({s.Numel} elements).");
        return new Tensor((float[])values.Clone(), 0, s);
    }

    /// <summary>A 2-D tensor holding a copy of a rectangular array.</summary>
    public static Tensor FromArray(float[,] values)
    {
        var t = new Tensor(new Shape(values.GetLength(0), values.GetLength(1)));
        MemoryMarshal.CreateReadOnlySpan(ref values[0, 0], values.Length).CopyTo(t.Data);
        return t;
    }

    /// <summary>A 0-dimensional tensor holding one value.</summary>
    public static Tensor Scalar(float value)
    {
        var t = new Tensor(new Shape());
        t.Data[0] = value;
        return t;
    }

    /// <summary>An uninitialised tensor: every element must be written before it is read.</summary>
    public static Tensor Empty(params int[] shape) => new(new Shape(shape));
    internal static Tensor Empty(Shape shape) => new(shape);

    /// <summary>An uninitialised tensor on <paramref name="device"/>.</summary>
    public static Tensor Empty(Shape shape, Device device) => new(shape, device);

    public static Tensor Zeros(params int[] shape) => Zeros(new Shape(shape));
    public static Tensor Zeros(Shape shape) => Full(shape, 0f, Device.Cpu);

    /// <summary>Zeros on <paramref name="device"/>.</summary>
    public static Tensor Zeros(Shape shape, Device device) => Full(shape, 0f, device);

    public static Tensor Ones(params int[] shape) => Full(new Shape(shape), 1f);

    public static Tensor Full(Shape shape, float value) => Full(shape, value, Device.Cpu);

    /// <summary>A tensor of <paramref name="shape"/> with every element <paramref name="value"/>, on <paramref name="device"/>.</summary>
    public static Tensor Full(Shape shape, float value, Device device)
    {
        var t = new Tensor(shape, device);
        device.Backend.Fill(t._storage, value);
        return t;
    }

    public static Tensor ZerosLike(Tensor t) => Zeros(t.Shape);
    public static Tensor OnesLike(Tensor t) => Full(t.Shape, 1f);

    /// <summary>Values start, start + step, … below end (PyTorch's <c>arange</c>).</summary>
    public static Tensor Arange(float start, float end, float step = 1f)
    {
        if (!float.IsFinite(start) || !float.IsFinite(end) || !float.IsFinite(step) || step == 0 || (end - start) / step < 0)
            throw new ArgumentException($"Arange: cannot reach {end} from {start} with step {step}.");
        double count = Math.Ceiling((end - start) / (double)step);
        if (count > int.MaxValue)
            throw new ArgumentException($"Arange: {start} to {end} by {step} is {count} values, more than a tensor can hold ({int.MaxValue}).");
        int n = (int)count;
        var t = new Tensor(new Shape(n));
        for (int i = 0; i < n; i++) t.Data[i] = start + i * step;
        return t;
    }

    public static Tensor Arange(int end) => Arange(0, end);

    /// <summary>Uniform samples in [0, 1).</summary>
    public static Tensor Rand(Shape shape, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var t = new Tensor(shape);
        var d = t.Data;
        for (int i = 0; i < d.Length; i++) d[i] = g.NextFloat();
        return t;
    }

    public static Tensor Rand(params int[] shape) => Rand(new Shape(shape));

    /// <summary>Standard normal samples.</summary>
    public static Tensor Randn(Shape shape, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var t = new Tensor(shape);
        var d = t.Data;
        for (int i = 0; i < d.Length; i++) d[i] = g.NextNormal();
        return t;
    }

    public static Tensor Randn(params int[] shape) => Randn(new Shape(shape));

    // ---------------------------------------------------------------- element access

    /// <summary>The element at a full index (one entry per dimension, negatives count from the end).</summary>
    [System.Runtime.CompilerServices.IndexerName("Element")]
    public float this[params int[] index]
    {
        // Reading one value of a device tensor downloads it (waiting for the device), as PyTorch's t[i].item() does.
        get => _storage is CpuStorage ? Data[FlatIndex(index)] : ValueOnDevice(FlatIndex(index));
        set => Data[FlatIndex(index)] = value;
    }

    private float ValueOnDevice(int flat)
    {
        Span<float> value = stackalloc float[1];
        Backend.Download(_storage.Slice(flat, 1), value);
        return value[0];
    }

    private int FlatIndex(int[] index)
    {
        if (index.Length != Rank)
            throw new ArgumentException($"Indexer: tensor of shape {Shape} needs {Rank} indices, got {index.Length}.");
        int flat = 0;
        for (int d = 0; d < Rank; d++)
        {
            int size = Shape[d];
            int i = index[d] < 0 ? index[d] + size : index[d];
            if (i < 0 || i >= size)
                throw new IndexOutOfRangeException($"Indexer: index {index[d]} is out of range for dimension {d} of size {size} (shape {Shape}).");
            flat = flat * size + i;
        }
        return flat;
    }

    /// <summary>The single value of a one-element tensor.</summary>
    public float Item()
    {
        if (Numel != 1) throw new InvalidOperationException($"Item: only one-element tensors convert to a number; this one has shape {Shape}.");
        if (_storage is CpuStorage host) return host.Span[0];
        Span<float> value = stackalloc float[1];
        Backend.Download(_storage, value);
        return value[0];
    }

    /// <summary>A copy of the values in row-major order, in host memory (waiting for the device where there is one).</summary>
    public float[] ToArray()
    {
        if (_storage is CpuStorage host) return host.Span.ToArray();
        var values = new float[Numel];
        Backend.Download(_storage, values);
        return values;
    }

    /// <summary>
    /// Overwrites this tensor's values, wherever they live, with <paramref name="values"/> in row-major order: what
    /// loading weights from a file into a model on any device does. Outside the graph; counts as a write.
    /// </summary>
    /// <exception cref="ArgumentException">The count differs from <see cref="Numel"/> (checked before anything is copied).</exception>
    public void CopyFrom(ReadOnlySpan<float> values)
    {
        if (values.Length != Numel)
            throw new ArgumentException($"Tensor.CopyFrom: {values.Length} values for a tensor {Shape} of {Numel}.", nameof(values));
        if (_storage is CpuStorage host) values.CopyTo(host.Span);
        else Backend.Copy(Backend.Upload(values), _storage);
        Writes.Count++;
    }

    /// <summary>
    /// Overwrites this tensor's values with <paramref name="source"/>'s, whichever devices the two live on (PyTorch's
    /// <c>copy_</c> without broadcasting): the shapes must be equal. Outside the graph; counts as a write.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public void CopyFrom(Tensor source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Shape != Shape)
            throw new ArgumentException($"Tensor.CopyFrom: a source of shape {source.Shape} into a tensor of shape {Shape}.", nameof(source));
        if (ReferenceEquals(source.Device, Device))
        {
            Backend.Copy(source._storage, _storage);
            Writes.Count++;
        }
        else if (source._storage is CpuStorage host) CopyFrom(host.Span);
        else CopyFrom(source.ToArray());
    }

    /// <summary>A copy with its own storage on the same device, outside the graph.</summary>
    public Tensor Clone()
    {
        var t = new Tensor(Shape, Device);
        Backend.Copy(_storage, t._storage);
        return t;
    }

    /// <summary>A tensor sharing this one's storage but cut from the graph: no gradient flows through it.</summary>
    public Tensor Detach() => new(_storage, Shape, Device, Writes);

    /// <summary>
    /// This tensor on <paramref name="device"/>, as PyTorch's <c>to(device)</c>: itself when it is already there, else a
    /// copy; recorded on the tape, so gradients flow back to this device.
    /// </summary>
    public Tensor To(Device device)
    {
        if (ReferenceEquals(device, Device)) return this;
        var storage = device.IsHost ? NewStorage(Numel, device) : device.Backend.Upload(ToArray());
        if (storage is CpuStorage target) CopyToHost(target.Span);
        var y = new Tensor(storage, Shape, device);
        return Tape.Record(y, nameof(To), [this], dy => [dy.To(Device)]);
    }

    /// <summary>
    /// Moves this tensor's values (and gradient) to <paramref name="device"/> in place: what <c>Module.To</c> does to
    /// parameters and buffers, which must stay the same objects.
    /// </summary>
    internal void MoveTo(Device device)
    {
        if (ReferenceEquals(device, Device)) return;
        Tensor moved;
        using (NoGrad()) moved = TensorScope.Outside(() => To(device));
        _storage = moved._storage;
        Device = device;
        Writes.Count++;
        if (Grad is { } grad) Grad = TensorScope.Outside(() => grad.To(device));
        _spareGrad = null;
    }

    private void CopyToHost(Span<float> destination)
    {
        if (_storage is CpuStorage host) host.Span.CopyTo(destination);
        else Backend.Download(_storage, destination);
    }

    // ---------------------------------------------------------------- views

    /// <summary>
    /// The same storage seen with another shape; one dimension may be -1 and is inferred.
    /// Recorded on the tape, so gradients flow back through it.
    /// </summary>
    public Tensor Reshape(params int[] shape) => F.Reshape(this, shape);

    /// <summary>Alias of <see cref="Reshape"/> (storage is always contiguous, so a view is always possible).</summary>
    public Tensor View(params int[] shape) => F.Reshape(this, shape);

    /// <summary>Flattens dimensions startDim..endDim into one.</summary>
    public Tensor Flatten(int startDim = 0, int endDim = -1) => F.Flatten(this, startDim, endDim);

    /// <summary>Rows [start, start + length) of dimension 0, as a view sharing storage.</summary>
    public Tensor Slice(int start, int length) => F.Slice(this, start, length);

    internal Tensor ViewAs(Shape shape) => new(_storage, shape, Device, Writes);

    internal Tensor RowView(int start, int length)
    {
        int rowSize = Rank == 0 ? 1 : Shape.Product(1, Rank);
        var dims = Shape.ToArray();
        dims[0] = length;
        return new Tensor(_storage.Slice(start * rowSize, length * rowSize), new Shape(dims), Device, Writes);
    }

    // ---------------------------------------------------------------- autograd entry points

    /// <summary>
    /// Backpropagates from this tensor: every leaf that requires grad receives d(this)/d(leaf) in <see cref="Grad"/>,
    /// added to what is already there. Without <paramref name="gradient"/> this tensor must hold one element.
    /// The graph is released afterwards unless <paramref name="retainGraph"/> is set.
    /// </summary>
    public void Backward(Tensor? gradient = null, bool retainGraph = false) => Tape.Backward(this, gradient, retainGraph);

    /// <summary>
    /// Opens a <see cref="TensorScope"/>: tensors created until it is disposed recycle their storage when it ends, so a
    /// loop body that runs in one takes no new memory after its first pass. Do not use those tensors after the scope.
    /// </summary>
    public static TensorScope Scope() => TensorScope.Begin();

    /// <summary>Turns off recording for the scope: <c>using (Tensor.NoGrad()) { … }</c>.</summary>
    public static GradMode NoGrad() => GradMode.Set(false);

    /// <summary>Turns recording back on for the scope, inside a <see cref="NoGrad"/> one.</summary>
    public static GradMode EnableGrad() => GradMode.Set(true);

    // ---------------------------------------------------------------- operators

    public static Tensor operator +(Tensor a, Tensor b) => F.Add(a, b);
    public static Tensor operator +(Tensor a, float b) => F.Add(a, b);
    public static Tensor operator +(float a, Tensor b) => F.Add(b, a);
    public static Tensor operator -(Tensor a, Tensor b) => F.Sub(a, b);
    public static Tensor operator -(Tensor a, float b) => F.Add(a, -b);
    public static Tensor operator -(float a, Tensor b) => F.Add(F.Neg(b), a);
    public static Tensor operator *(Tensor a, Tensor b) => F.Mul(a, b);
    public static Tensor operator *(Tensor a, float b) => F.Mul(a, b);
    public static Tensor operator *(float a, Tensor b) => F.Mul(b, a);
    public static Tensor operator /(Tensor a, Tensor b) => F.Div(a, b);
    public static Tensor operator /(Tensor a, float b) => F.Mul(a, 1f / b);
    public static Tensor operator -(Tensor a) => F.Neg(a);

    // ---------------------------------------------------------------- method forms of common ops

    public Tensor MatMul(Tensor other) => F.MatMul(this, other);
    public Tensor Transpose(int dim0, int dim1) => F.Transpose(this, dim0, dim1);
    public Tensor Permute(params int[] dims) => F.Permute(this, dims);
    public Tensor Sum() => F.Sum(this);
    public Tensor Sum(int dim, bool keepDim = false) => F.Sum(this, dim, keepDim);
    public Tensor Mean() => F.Mean(this);
    public Tensor Mean(int dim, bool keepDim = false) => F.Mean(this, dim, keepDim);
    public Tensor Max() => F.Max(this);
    public Tensor Max(int dim, bool keepDim = false) => F.Max(this, dim, keepDim);
    public Tensor ArgMax(int dim, bool keepDim = false) => F.ArgMax(this, dim, keepDim);
    public Tensor Min() => F.Min(this);
    public Tensor Min(int dim, bool keepDim = false) => F.Min(this, dim, keepDim);
    public Tensor ArgMin(int dim, bool keepDim = false) => F.ArgMin(this, dim, keepDim);
    public Tensor Var(float correction = 1f) => F.Var(this, correction);
    public Tensor Var(int dim, bool keepDim = false, float correction = 1f) => F.Var(this, dim, keepDim, correction);
    public Tensor Std(float correction = 1f) => F.Std(this, correction);
    public Tensor Std(int dim, bool keepDim = false, float correction = 1f) => F.Std(this, dim, keepDim, correction);
    public Tensor Gather(int dim, Tensor index) => F.Gather(this, dim, index);
    public Tensor Narrow(int dim, int start, int length) => F.Narrow(this, dim, start, length);
    public Tensor[] Split(int splitSize, int dim = 0) => F.Split(this, splitSize, dim);
    public Tensor[] Chunk(int chunks, int dim = 0) => F.Chunk(this, chunks, dim);
    public (Tensor Values, Tensor Indices) Sort(int dim = -1, bool descending = false) => F.Sort(this, dim, descending);
    public (Tensor Values, Tensor Indices) TopK(int k, int dim = -1, bool largest = true) => F.TopK(this, k, dim, largest);
    public Tensor Pow(float exponent) => F.Pow(this, exponent);
    public Tensor Exp() => F.Exp(this);
    public Tensor Log() => F.Log(this);
    public Tensor Sqrt() => F.Sqrt(this);
    public Tensor Abs() => F.Abs(this);
    public Tensor Relu() => F.ReLU(this);
    public Tensor Sigmoid() => F.Sigmoid(this);
    public Tensor Tanh() => F.Tanh(this);
}
