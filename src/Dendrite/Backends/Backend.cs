namespace Dendrite.Backends;

/// <summary>
/// The seam under the ops: every piece of arithmetic a tensor op, the tape or an optimiser needs, over
/// <see cref="Storage"/>s made by this backend. Ops keep shape checks and the tape and ask the tensor's backend for
/// every number; a backend knows no tensor, node or module, only buffers, sizes and numbers.
/// </summary>
/// <remarks>
/// <para>Shapes are row-major dimension lists; storages are contiguous. Every method writes every element of its
/// outputs unless it says it accumulates (then the output is read first). Inputs and outputs never alias unless a
/// method says so. Methods taking an offset read or write from that element of the storage on.</para>
/// <para>Fused kernels (<see cref="FitsConvReluMaxPool"/>) are optional: a backend that declines them gets the
/// separate ops, which give the same values.</para>
/// </remarks>
public abstract class Backend
{
    /// <summary>A short name for messages: "cpu", "reference", "cuda:0".</summary>
    public abstract string Name { get; }

    /// <summary>True when storages are <see cref="CpuStorage"/> (host memory), which host-side code may read as spans.</summary>
    public abstract bool IsHost { get; }

    public override string ToString() => Name;

    // ------------------------------------------------------------------ memory

    /// <summary>Storage for <paramref name="length"/> values, uninitialised.</summary>
    public abstract Storage Allocate(int length);

    /// <summary>Storage holding a copy of host values.</summary>
    public abstract Storage Upload(ReadOnlySpan<float> values);

    /// <summary>Copies a storage's values to host memory (waiting for pending work).</summary>
    public abstract void Download(Storage source, Span<float> destination);

    /// <summary>y = x, same lengths.</summary>
    public abstract void Copy(Storage x, Storage y);

    /// <summary>Every element of y becomes <paramref name="value"/>.</summary>
    public abstract void Fill(Storage y, float value);

    /// <summary>
    /// Copies <paramref name="count"/> blocks of <paramref name="blockLength"/> values: block i is read from
    /// x[xOffset + i·xStride …] and written to y[yOffset + i·yStride …] (concatenation, slicing and their gradients).
    /// </summary>
    public abstract void CopyBlocks(Storage x, int xOffset, int xStride, Storage y, int yOffset, int yStride, int blockLength, int count);

    /// <summary>Each of <paramref name="values"/> repeated <paramref name="blockLength"/> times into y (per-map masks).</summary>
    public abstract void FillBlocks(ReadOnlySpan<float> values, int blockLength, Storage y);

    /// <summary>y = x with its dimensions reordered: output dimension i is input dimension perm[i].</summary>
    public abstract void Permute(Storage x, ReadOnlySpan<int> xShape, ReadOnlySpan<int> perm, Storage y);

    /// <summary>
    /// Constant padding: x (shape <paramref name="xShape"/>) is copied into y (shape <paramref name="yShape"/>, already
    /// filled with the pad value) starting <paramref name="before"/>[d] places in along each dimension d.
    /// </summary>
    public abstract void PadInto(Storage x, ReadOnlySpan<int> xShape, ReadOnlySpan<int> before, Storage y, ReadOnlySpan<int> yShape);

    /// <summary>The inverse of <see cref="PadInto"/>: dx = the part of dy that x occupied.</summary>
    public abstract void UnpadFrom(Storage dy, ReadOnlySpan<int> dyShape, ReadOnlySpan<int> before, Storage dx, ReadOnlySpan<int> dxShape);

    /// <summary>y[i] = rows[i]-th row (of <paramref name="rowLength"/> values) of table, for every i (embedding lookup).</summary>
    public abstract void GatherRows(Storage table, int rowLength, ReadOnlySpan<int> rows, Storage y);

    /// <summary>
    /// dTable = 0, then dTable[rows[i]] += dy's row i for every i except where rows[i] == <paramref name="skipRow"/>
    /// (embedding backward; repeated rows add up in order).
    /// </summary>
    public abstract void ScatterAddRows(Storage dy, int rowLength, ReadOnlySpan<int> rows, int skipRow, Storage dTable);

    /// <summary>y[i, k] = 1 where k == indices[i], else 0; indices are validated class numbers (one-hot encoding).</summary>
    public abstract void OneHot(Storage indices, int classes, Storage y);

    /// <summary>
    /// <c>torch.gather</c>: y[j] = x[j with its coordinate along <paramref name="dim"/> replaced by index[j]], for every
    /// position j of <paramref name="indexShape"/> (same rank as <paramref name="xShape"/>, no larger along any other
    /// dimension); index holds validated whole numbers in [0, xShape[dim]).
    /// </summary>
    public abstract void Gather(Storage x, ReadOnlySpan<int> xShape, int dim, Storage index, ReadOnlySpan<int> indexShape, Storage y);

    /// <summary>
    /// The adjoint of <see cref="Gather"/>: dx = 0, then dx[j with coordinate dim replaced by index[j]] += dy[j] for
    /// every position j of <paramref name="indexShape"/>, in row-major order (repeated indices add up).
    /// </summary>
    public abstract void ScatterAdd(Storage dy, ReadOnlySpan<int> indexShape, int dim, Storage index, Storage dx, ReadOnlySpan<int> xShape);

    /// <summary>
    /// x as [outer, n, inner]: indices[o, k, i] = the position along n of the k-th smallest value of x[o, :, i] (largest
    /// when <paramref name="descending"/>), as a float. The sort is stable (equal values keep their order) and NaN sorts
    /// above every number, as PyTorch's stable sort.
    /// </summary>
    public abstract void SortIndices(Storage x, int outer, int n, int inner, bool descending, Storage indices);

    // ------------------------------------------------------------------ elementwise

    /// <summary>y = f(x) elementwise; the arguments a, b, c are the op's (see <see cref="UnaryOp"/>).</summary>
    public abstract void Unary(UnaryOp op, Storage x, Storage y, float a = 0f, float b = 0f, float c = 0f);

    /// <summary>
    /// dx = dy · f′(x), elementwise, where y = f(x) was computed by <see cref="Unary"/> with the same arguments (y is
    /// given so that derivatives written in the output, such as σ′ = y(1 − y), need not recompute f).
    /// </summary>
    public abstract void UnaryBackward(UnaryOp op, Storage x, Storage y, Storage dy, Storage dx, float a = 0f, float b = 0f, float c = 0f);

    /// <summary>y = condition ≠ 0 ? a : b, elementwise over storages of one length (NaN counts as true, as bool(NaN)).</summary>
    public abstract void Where(Storage condition, Storage a, Storage b, Storage y);

    /// <summary>y = a ∘ b with NumPy broadcasting; <paramref name="yShape"/> is the broadcast shape of the two.</summary>
    public abstract void Binary(BinaryOp op, Storage a, ReadOnlySpan<int> aShape, Storage b, ReadOnlySpan<int> bShape,
        Storage y, ReadOnlySpan<int> yShape);

    /// <summary>t = g summed over the dimensions along which <paramref name="tShape"/> was broadcast to <paramref name="gShape"/>.</summary>
    public abstract void SumTo(Storage g, ReadOnlySpan<int> gShape, Storage t, ReadOnlySpan<int> tShape);

    /// <summary>y = x repeated along the dimensions where <paramref name="xShape"/> has size 1 (or is missing).</summary>
    public abstract void BroadcastTo(Storage x, ReadOnlySpan<int> xShape, Storage y, ReadOnlySpan<int> yShape);

    /// <summary>accumulator += g, same lengths (the tape's gradient accumulation).</summary>
    public abstract void Accumulate(Storage accumulator, Storage g);

    // ------------------------------------------------------------------ reductions

    /// <summary>y[0] = Σ x.</summary>
    public abstract void SumAll(Storage x, Storage y);

    /// <summary>y[0] = (float)(scale · Σ x), the sum taken in double (losses reduced over samples).</summary>
    public abstract void SumAllScaled(Storage x, double scale, Storage y);

    /// <summary>x seen as [outer, n, inner]: y[o, i] = Σ_k x[o, k, i] (0 when n = 0).</summary>
    public abstract void Sum(Storage x, int outer, int n, int inner, Storage y);

    /// <summary>x as [rows, columns]: y[j] = x[0, j] + x[1, j] + … in row order (bias gradients).</summary>
    public abstract void SumRows(Storage x, int rows, int columns, Storage y);

    /// <summary>
    /// x as [outer, n, inner], n ≥ 1: y[o, i] = max_k x[o, k, i] and argMax[o, i] = the first k reaching it (a float,
    /// exact below 2²⁴); NaN wins, as in PyTorch.
    /// </summary>
    public abstract void Max(Storage x, int outer, int n, int inner, Storage y, Storage argMax);

    /// <summary>dx = 0 except dx[o, argMax[o, i], i] = dy[o, i] (the gradient of <see cref="Max"/>).</summary>
    public abstract void MaxBackward(Storage dy, Storage argMax, int outer, int n, int inner, Storage dx);

    /// <summary>x as [outer, n, inner]: softmax (or log-softmax) along n, computed stably.</summary>
    public abstract void Softmax(Storage x, int outer, int n, int inner, Storage y, bool log);

    // ------------------------------------------------------------------ matrix products

    /// <summary>
    /// C = op(A)·op(B) (+ C when <paramref name="accumulate"/>), op transposing when asked: m × k times k × n, row-major
    /// with leading dimensions lda, ldb, ldc, each matrix starting at its offset.
    /// </summary>
    public abstract void Gemm(bool transA, bool transB, int m, int n, int k, Storage a, int aOffset, int lda,
        Storage b, int bOffset, int ldb, Storage c, int cOffset, int ldc, bool accumulate);

    /// <summary>
    /// <see cref="Gemm"/> for each i of <paramref name="aOffsets"/>: A at aOffsets[i], B at bOffsets[i], C at i·m·n,
    /// all dense (lda, ldb, ldc are the rows' lengths). By default one <see cref="Gemm"/> after another; a backend
    /// overrides it to spread the products over its threads.
    /// </summary>
    public virtual void BatchedGemm(bool transA, bool transB, int m, int n, int k, Storage a, ReadOnlySpan<int> aOffsets,
        Storage b, ReadOnlySpan<int> bOffsets, Storage c)
    {
        int lda = transA ? m : k;
        int ldb = transB ? k : n;
        for (int i = 0; i < aOffsets.Length; i++)
            Gemm(transA, transB, m, n, k, a, aOffsets[i], lda, b, bOffsets[i], ldb, c, i * m * n, n, accumulate: false);
    }

    /// <summary>Each of the <paramref name="rows"/> rows of y becomes a copy of row (a bias before a product accumulates onto it).</summary>
    public abstract void RepeatRows(Storage row, int rows, Storage y);

    // ------------------------------------------------------------------ convolution

    /// <summary>
    /// columns = weight ⊛ image (+ bias per column channel): the forward convolution of <see cref="ConvGeometry"/>.
    /// <paramref name="packed"/>, when given, is <paramref name="weight"/> as <see cref="PackConvWeights"/> made it.
    /// </summary>
    public abstract void ConvForward(in ConvGeometry g, Storage image, Storage weight, Storage? bias, Storage columns,
        PackedWeights? packed = null);

    /// <summary>
    /// The weights of convolutions of geometry g (any batch) packed once for this backend's forward kernel, for a
    /// caller that runs them many times unchanged; null when the backend gains nothing from it (the default).
    /// </summary>
    public virtual PackedWeights? PackConvWeights(in ConvGeometry g, Storage weight) => null;

    /// <summary>
    /// columns = relu(weight ⊛ image + bias + residual), residual and relu each optional: <see cref="ConvForward"/> with
    /// the epilogue of a residual block's last convolution. The default runs ConvForward, then <see cref="Accumulate"/>
    /// and the ReLU of <see cref="Unary"/> in place on the columns, which gives the separate ops' values; a backend
    /// overrides it to add and clamp while each part of the output is still in its caches, with the same values.
    /// </summary>
    /// <param name="residual">Laid out as the columns, or null for none.</param>
    public virtual void ConvForwardAddRelu(in ConvGeometry g, Storage image, Storage weight, Storage? bias, Storage? residual, bool relu,
        Storage columns, PackedWeights? packed = null)
    {
        ConvForward(g, image, weight, bias, columns, packed);
        if (residual is not null) Accumulate(columns, residual);
        if (relu) Unary(UnaryOp.Relu, columns, columns);
    }

    /// <summary>image gradient = the adjoint of <see cref="ConvForward"/> applied to the columns' gradient.</summary>
    public abstract void ConvBackwardData(in ConvGeometry g, Storage columnsGrad, Storage weight, Storage imageGrad);

    /// <summary>weight gradient = Σ over the batch of columns' gradient ⊗ image patches.</summary>
    public abstract void ConvBackwardWeight(in ConvGeometry g, Storage image, Storage columnsGrad, Storage weightGrad);

    /// <summary>bias gradient = the columns' gradient summed per column channel.</summary>
    public abstract void ConvBackwardBias(in ConvGeometry g, Storage columnsGrad, Storage biasGrad);

    /// <summary>values as [batch, channels, size]: sums[c] = Σ over batch and size.</summary>
    public abstract void SumPerChannel(Storage values, int batch, int channels, int size, Storage sums);

    /// <summary>values as [batch, channels, size]: values[n, c, :] += perChannel[c], in place.</summary>
    public abstract void AddPerChannel(Storage values, Storage perChannel, int batch, int channels, int size);

    /// <summary>
    /// Whether this backend runs relu(max_pool2d(conv2d(x), 2)) as one kernel for geometry <paramref name="g"/>
    /// (false by default: the separate ops run).
    /// </summary>
    public virtual bool FitsConvReluMaxPool(in ConvGeometry g) => false;

    /// <summary>Values of the code storage that <see cref="ConvReluMaxPoolForward"/> needs for geometry g.</summary>
    public virtual int ConvReluMaxPoolCodeLength(in ConvGeometry g) => throw Declined(nameof(ConvReluMaxPoolCodeLength));

    /// <summary>
    /// pooled = max_pool2d(relu(conv2d(relu?(x), w, b)), 2), writing per pooled value a code of its winning position
    /// into <paramref name="codes"/> for the backward pass; with <paramref name="reluInput"/> the convolution reads
    /// relu(x). The values are the separate ops' to the bit.
    /// </summary>
    public virtual void ConvReluMaxPoolForward(in ConvGeometry g, Storage x, Storage weight, Storage? bias, Storage pooled,
        Storage codes, bool reluInput, PackedWeights? packed = null) => throw Declined(nameof(ConvReluMaxPoolForward));

    /// <summary>
    /// The gradients of <see cref="ConvReluMaxPoolForward"/> (those not null) from the pooled gradient, times an
    /// optional dropout mask applied after the pooling.
    /// </summary>
    public virtual void ConvReluMaxPoolBackward(in ConvGeometry g, Storage dPooled, Storage codes, Storage? dropMask, Storage x,
        Storage weight, Storage? dx, Storage? dWeight, Storage? dBias, bool reluInput) => throw Declined(nameof(ConvReluMaxPoolBackward));

    private NotSupportedException Declined(string method) =>
        new($"{Name} backend: {method} is not implemented; check FitsConvReluMaxPool first.");

    // ------------------------------------------------------------------ pooling and resampling

    /// <summary>y = the largest value of each window (padding never wins, NaN does); argMax = its index in the plane.</summary>
    public abstract void MaxPoolForward(in PoolGeometry g, Storage x, Storage y, Storage argMax);

    /// <summary>dx = 0, then each dy added at its window's argMax.</summary>
    public abstract void MaxPoolBackward(in PoolGeometry g, Storage dy, Storage argMax, Storage dx);

    /// <summary>y = each window's mean; the divisor counts padding when <paramref name="countIncludePad"/>.</summary>
    public abstract void AvgPoolForward(in PoolGeometry g, bool countIncludePad, Storage x, Storage y);

    /// <summary>dx = each dy spread evenly over its window (the adjoint of <see cref="AvgPoolForward"/>).</summary>
    public abstract void AvgPoolBackward(in PoolGeometry g, bool countIncludePad, Storage dy, Storage dx);

    /// <summary>Adaptive average pooling of planes [h, w] to [outH, outW] (PyTorch's windows ⌊i·h/out⌋ … ⌈(i+1)·h/out⌉).</summary>
    public abstract void AdaptiveAvgPool(int planes, int h, int w, int outH, int outW, Storage x, Storage y);

    public abstract void AdaptiveAvgPoolBackward(int planes, int h, int w, int outH, int outW, Storage dy, Storage dx);

    /// <summary>
    /// Adaptive max pooling of planes [h, w] to [outH, outW] over the windows of <see cref="AdaptiveAvgPool"/>: y = each
    /// window's first largest value (a NaN wins), argMax = its index in the plane.
    /// </summary>
    public abstract void AdaptiveMaxPool(int planes, int h, int w, int outH, int outW, Storage x, Storage y, Storage argMax);

    /// <summary>dx = 0, then each dy added at its window's argMax (windows overlap, so several may land on one input).</summary>
    public abstract void AdaptiveMaxPoolBackward(int planes, int h, int w, int outH, int outW, Storage dy, Storage argMax, Storage dx);

    /// <summary>Nearest-neighbour resampling of planes [h, w] to [outH, outW]: output i copies input ⌊i·in/out⌋.</summary>
    public abstract void UpsampleNearest(int planes, int h, int w, int outH, int outW, Storage x, Storage y);

    public abstract void UpsampleNearestBackward(int planes, int h, int w, int outH, int outW, Storage dy, Storage dx);

    // ------------------------------------------------------------------ normalisation

    /// <summary>
    /// Batch normalisation in training, x as [batch, channels, size]: per channel the batch mean and biased variance;
    /// y = (x − mean)·invStd·gamma + beta (gamma, beta optional: 1 and 0).
    /// </summary>
    public abstract void BatchNormTrain(int batch, int channels, int size, Storage x, Storage? gamma, Storage? beta, float eps,
        Storage y, Storage mean, Storage variance, Storage invStd);

    /// <summary>
    /// The gradients of a batch normalisation with statistics (mean, invStd): dx (with the batch statistics' own
    /// gradient, when dx and gamma's role are wanted), dGamma = Σ dy·x̂, dBeta = Σ dy; each output optional.
    /// </summary>
    public abstract void BatchNormTrainBackward(int batch, int channels, int size, Storage x, Storage dy, Storage? gamma,
        Storage mean, Storage invStd, Storage? dx, Storage? dGamma, Storage? dBeta);

    /// <summary>running = (1 − momentum)·running + momentum·batch, the variance unbiased by <paramref name="unbias"/>.</summary>
    public abstract void UpdateRunningStatistics(Storage runningMean, Storage runningVar, Storage mean, Storage biasedVariance,
        float momentum, float unbias);

    /// <summary>
    /// Evaluation batch norm folded into an affine map: invStd = 1/√(var + eps), scale = gamma·invStd,
    /// shift = beta − mean·scale (gamma, beta optional).
    /// </summary>
    public abstract void BatchNormEvalCoefficients(Storage runningMean, Storage runningVar, Storage? gamma, Storage? beta, float eps,
        Storage scale, Storage shift, Storage invStd);

    /// <summary>y[n, c, :] = x[n, c, :]·scale[c] + shift[c] (shift null: 0).</summary>
    public abstract void ScaleShift(int batch, int channels, int size, Storage x, Storage scale, Storage? shift, Storage y);

    /// <summary>Layer normalisation of each of <paramref name="rows"/> rows of <paramref name="size"/> values.</summary>
    public abstract void LayerNorm(int rows, int size, Storage x, Storage? gamma, Storage? beta, float eps, Storage y,
        Storage mean, Storage invStd);

    public abstract void LayerNormBackward(int rows, int size, Storage x, Storage dy, Storage? gamma, Storage mean, Storage invStd,
        Storage? dx, Storage? dGamma, Storage? dBeta);

    // ------------------------------------------------------------------ losses

    /// <summary>
    /// Cross-entropy's forward over logits as [outer, classes, inner]: logp = log_softmax over classes; q = the target
    /// distribution ((1 − ε)·one-hot + ε/C for class indices, (1 − ε)·p + ε/C for probabilities p, 0 for ignored
    /// samples), times classWeights[k] when given; perSample[o, i] = −Σ_k q·logp (summed in double). Class indices are
    /// validated whole numbers or the ignore index.
    /// </summary>
    public abstract void CrossEntropyForward(Storage logits, Storage target, bool targetIsProbabilities, int outer, int classes,
        int inner, float labelSmoothing, int ignoreIndex, Storage? classWeights, Storage logp, Storage q, Storage perSample);

    /// <summary>
    /// dlogits = g·(softmax·Σq − q) per sample (0 for ignored ones), g = dy[sample] when <paramref name="perSampleGradient"/>
    /// else dy[0]·scale.
    /// </summary>
    public abstract void CrossEntropyBackward(Storage logp, Storage q, Storage target, bool targetIsProbabilities, int outer, int classes,
        int inner, int ignoreIndex, Storage dy, bool perSampleGradient, float scale, Storage dLogits);

    /// <summary>
    /// perSample[o, i] = −w·input[o, target[o, i], i] over log-probabilities [outer, classes, inner], w =
    /// classWeights[target] (1 when null); 0 where ignored.
    /// </summary>
    public abstract void NllForward(Storage input, Storage target, int outer, int classes, int inner, int ignoreIndex,
        Storage? classWeights, Storage perSample);

    /// <summary>dInput = 0 except dInput[o, target, i] = −w·g, w as in <see cref="NllForward"/>, g as in <see cref="CrossEntropyBackward"/>.</summary>
    public abstract void NllBackward(Storage target, int outer, int classes, int inner, int ignoreIndex, Storage? classWeights,
        Storage dy, bool perSampleGradient, float scale, Storage dInput);

    /// <summary>y = −(t·max(log p, −100) + (1 − t)·max(log(1 − p), −100)), elementwise (PyTorch's clamped logs).</summary>
    public abstract void BinaryCrossEntropy(Storage p, Storage t, Storage y);

    /// <summary>dp = dy·(p − t)/max(p(1 − p), 1e-12); dt (optional) = dy·(max(log(1 − p), −100) − max(log p, −100)).</summary>
    public abstract void BinaryCrossEntropyBackward(Storage p, Storage t, Storage dy, Storage dp, Storage? dt);

    /// <summary>y = max(x, 0) − x·t + log(1 + e^(−|x|)), elementwise.</summary>
    public abstract void BinaryCrossEntropyWithLogits(Storage x, Storage t, Storage y);

    /// <summary>dx = dy·(σ(x) − t); dt (optional) = −dy·x.</summary>
    public abstract void BinaryCrossEntropyWithLogitsBackward(Storage x, Storage t, Storage dy, Storage dx, Storage? dt);

    /// <summary>The index of the first value outside [lo, hi] (NaN counts as outside), or −1: input checks without a host copy.</summary>
    public abstract int FindOutside(Storage x, float lo, float hi);

    // ------------------------------------------------------------------ dropout

    /// <summary>
    /// mask[i] = 0 with probability p, else <paramref name="keep"/>; y = x·mask. The mask depends on
    /// <paramref name="seed"/> alone (never on threads): 24-bit uniforms from xoshiro256** streams seeded per chunk.
    /// </summary>
    public abstract void BernoulliMask(Storage x, Storage mask, Storage y, float p, float keep, ulong seed);

    // ------------------------------------------------------------------ recurrent cells

    /// <summary>
    /// One time step of a recurrent layer for all its batch rows (see <see cref="RecurrentStep"/> for the buffers): the
    /// cell's fused pass over each present row's gate pre-activations, updating the state and writing the output row.
    /// </summary>
    public abstract void RecurrentForwardStep(in RecurrentStep s);

    /// <summary>One step of backpropagation through time for all batch rows (see <see cref="RecurrentStep"/>).</summary>
    public abstract void RecurrentBackwardStep(in RecurrentStep s);

    /// <summary>
    /// One direction of a recurrent layer over all its steps, in the direction's order: for each step t, save the state
    /// entering it (<see cref="RecurrentStep.HiddenIn"/>, <see cref="RecurrentStep.CellIn"/>), add W_hh·h to the gates
    /// (GRU: into <see cref="RecurrentStep.HiddenProjection"/>, from b_hh), then <see cref="RecurrentForwardStep"/>.
    /// <see cref="RecurrentStep.Gates"/> holds the input projection of every step on entry, or, with
    /// <see cref="RecurrentStep.Input"/>, receives it first (<see cref="ProjectInput"/>); <see cref="RecurrentStep.H"/>
    /// (and C) the initial state, and the final one on return. This default is the step-by-step loop; a backend may
    /// instead run each batch row's whole sequence at once, since rows never mix, and project each step's input there.
    /// </summary>
    public virtual void RecurrentForwardDirection(in RecurrentStep s)
    {
        int n = s.Batch, hs = s.Hidden, gh = s.GateWidth, nh = n * hs;
        var w = s.WeightHh ?? throw new ArgumentException("RecurrentForwardDirection: W_hh is missing.");
        if (s.Input is not null) ProjectInput(s);
        for (int k = 0; k < s.Steps; k++)
        {
            int t = s.Direction == 1 ? s.Steps - 1 - k : k;
            CopyBlocks(s.H!, 0, 0, s.HiddenIn!, t * nh, 0, nh, 1);
            if (s.C is not null) CopyBlocks(s.C, 0, 0, s.CellIn!, t * nh, 0, nh, 1);
            bool fromZero = k == 0 && s.ZeroInitialState;
            if (s.HiddenProjection is { } hp)
            {
                if (s.BiasHh is not null) RepeatRows(s.BiasHh, n, hp);
                else if (fromZero) Fill(hp, 0f);
                if (!fromZero) Gemm(false, true, n, gh, hs, s.H!, 0, hs, w, 0, hs, hp, 0, gh, accumulate: s.BiasHh is not null);
            }
            else if (!fromZero)
            {
                Gemm(false, true, n, gh, hs, s.H!, 0, hs, w, 0, hs, s.Gates, t * n * gh, gh, accumulate: true);
            }
            RecurrentForwardStep(s with { Time = t });
        }
    }

    /// <summary>
    /// The input projection of every step of a direction at once: Gates [T·N, G·H] = bias + Input · W_ihᵀ, one GEMM.
    /// </summary>
    protected void ProjectInput(in RecurrentStep s)
    {
        int rows = s.Steps * s.Batch, gh = s.GateWidth, inputSize = s.InputSize;
        var wih = s.WeightIh ?? throw new ArgumentException("RecurrentForwardDirection: W_ih is missing.");
        if (s.BiasGates is not null) RepeatRows(s.BiasGates, rows, s.Gates);
        Gemm(false, true, rows, gh, inputSize, s.Input!, 0, inputSize, wih, 0, inputSize, s.Gates, 0, gh,
            accumulate: s.BiasGates is not null);
    }

    /// <summary>
    /// Backpropagation through time over one direction, against its order: for each step,
    /// <see cref="RecurrentBackwardStep"/>, then dh_prev += dGates_hidden·W_hh. <see cref="RecurrentStep.Dh"/> holds the
    /// gradient of the final state on entry and, when <see cref="RecurrentStep.InitialStateGradient"/>, that of the
    /// initial state on return; <see cref="RecurrentStep.DhNext"/> is scratch of the same size. Given
    /// <see cref="RecurrentStep.DWeightIh"/>, <see cref="RecurrentStep.DWeightHh"/>, <see cref="RecurrentStep.DInput"/> or
    /// <see cref="RecurrentStep.DBias"/>, also those gradients: this default computes each as one product or sum over
    /// all T·N rows once the steps are done; a backend may instead add each step's share while its gate gradients are
    /// still in cache.
    /// </summary>
    public virtual void RecurrentBackwardDirection(in RecurrentStep s)
    {
        int n = s.Batch, hs = s.Hidden, gh = s.GateWidth;
        var w = s.WeightHh ?? throw new ArgumentException("RecurrentBackwardDirection: W_hh is missing.");
        Storage dh = s.Dh!, dhNext = s.DhNext!;
        for (int k = 0; k < s.Steps; k++)
        {
            int t = s.Direction == 1 ? k : s.Steps - 1 - k;
            RecurrentBackwardStep(s with { Time = t, Dh = dh, DhNext = dhNext });
            if (k == s.Steps - 1 && !s.InitialStateGradient) break; // what would flow on is the gradient of an h0 nobody asked for
            Gemm(false, false, n, hs, gh, s.DGatesHidden!, t * n * gh, gh, w, 0, hs, dhNext, 0, hs, accumulate: true);
            (dh, dhNext) = (dhNext, dh);
        }
        if (s.InitialStateGradient && !ReferenceEquals(dh, s.Dh)) CopyBlocks(dh, 0, 0, s.Dh!, 0, 0, n * hs, 1);
        RecurrentWeightGradients(s);
    }

    /// <summary>
    /// <see cref="RecurrentStep.DWeightIh"/> = DGatesᵀ·Input, <see cref="RecurrentStep.DWeightHh"/> =
    /// DGatesHiddenᵀ·HiddenIn, <see cref="RecurrentStep.DInput"/> (+)= DGates·W_ih and <see cref="RecurrentStep.DBias"/> =
    /// DGates' column sums, each one product or sum over all T·N rows (those that are requested).
    /// </summary>
    protected void RecurrentWeightGradients(in RecurrentStep s)
    {
        int rows = s.Steps * s.Batch, gh = s.GateWidth, hs = s.Hidden, inputSize = s.InputSize;
        if (s.DInput is { } dx)
        {
            var wih = s.WeightIh ?? throw new ArgumentException("RecurrentBackwardDirection: the input's gradient needs W_ih.");
            Gemm(false, false, rows, inputSize, gh, s.DGates!, 0, gh, wih, 0, inputSize, dx, 0, inputSize, s.AccumulateInputGradient);
        }
        if (s.DBias is { } dBias) SumRows(s.DGates!, rows, gh, dBias);
        if (s.DWeightIh is { } dWih)
        {
            var x = s.Input ?? throw new ArgumentException("RecurrentBackwardDirection: W_ih's gradient needs the input.");
            Gemm(true, false, gh, inputSize, rows, s.DGates!, 0, gh, x, 0, inputSize, dWih, 0, inputSize, accumulate: false);
        }
        if (s.DWeightHh is { } dWhh)
        {
            // Rows of a zero initial state add nothing: the forward direction's step 0, the reverse one's step T − 1.
            int skip = s.ZeroInitialState ? s.Batch : 0, from = s.Direction == 0 ? skip : 0;
            Gemm(true, false, gh, hs, rows - skip, s.DGatesHidden!, from * gh, gh, s.HiddenIn!, from * hs, hs, dWhh, 0, hs,
                accumulate: false);
        }
    }

    // ------------------------------------------------------------------ optimiser update rules

    /// <summary>
    /// SGD, as <c>torch.optim.SGD</c>: g ← grad + λθ; with momentum μ &gt; 0, buf ← g on the first step
    /// (<paramref name="firstMomentumStep"/>) else μ·buf + (1 − dampening)·g; g ← g + μ·buf (Nesterov) or buf; θ ← θ − lr·g.
    /// </summary>
    public abstract void SgdUpdate(Storage p, Storage grad, Storage? momentumBuffer, float lr, float weightDecay, float momentum,
        float dampening, bool nesterov, bool firstMomentumStep);

    /// <summary>
    /// Adam / AdamW, as PyTorch: decoupled: θ ← θ(1 − lr·λ) first; else g ← grad + λθ. m ← β₁m + (1 − β₁)g;
    /// v ← β₂v + (1 − β₂)g²; θ ← θ − (lr / (1 − β₁ᵗ))·m / (√v̂ / √(1 − β₂ᵗ) + ε), v̂ = running max of v with AMSGrad
    /// (<paramref name="vMax"/> not null).
    /// </summary>
    public abstract void AdamUpdate(Storage p, Storage grad, Storage m, Storage v, Storage? vMax, float lr, float weightDecay,
        bool decoupled, float beta1, float beta2, float eps, int step);

    /// <summary>
    /// RMSprop, as PyTorch: g ← grad + λθ; v ← αv + (1 − α)g²; centred: gAvg ← αgAvg + (1 − α)g, denom = √(v − gAvg²) + ε,
    /// else √v + ε; with momentum μ: buf ← μ·buf + g/denom, θ ← θ − lr·buf; else θ ← θ − lr·g/denom.
    /// </summary>
    public abstract void RmsPropUpdate(Storage p, Storage grad, Storage squareAverage, Storage? momentumBuffer, Storage? gradAverage,
        float lr, float weightDecay, float alpha, float eps, float momentum);

    /// <summary>Adagrad, as PyTorch: g ← grad + λθ; sum ← sum + g²; θ ← θ − (lr / (1 + (t − 1)·lrDecay))·g / (√sum + ε).</summary>
    public abstract void AdagradUpdate(Storage p, Storage grad, Storage sum, float lr, float weightDecay, float lrDecay, float eps, int step);

    /// <summary>
    /// Adadelta, as PyTorch: g ← grad + λθ; v ← ρv + (1 − ρ)g²; Δ = √(u + ε)/√(v + ε)·g; u ← ρu + (1 − ρ)Δ²; θ ← θ − lr·Δ.
    /// </summary>
    public abstract void AdadeltaUpdate(Storage p, Storage grad, Storage squareAverage, Storage accumulatedDelta, float lr,
        float weightDecay, float rho, float eps);

    /// <summary>average ← decay·average + (1 − decay)·value (exponential moving averages of weights).</summary>
    public abstract void MovingAverageUpdate(Storage average, Storage value, float decay);
}
