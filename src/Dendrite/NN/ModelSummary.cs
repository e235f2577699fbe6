using System.Globalization;
using System.Text;

namespace Dendrite.NN;

/// <summary>
/// What <see cref="Module.Summary"/> found: a row per layer run, in call order, and the parameter totals. Its
/// <see cref="ToString"/> is the Keras-style table.
/// </summary>
public sealed class ModelSummary
{
    private ModelSummary(string modelType, Shape input, Shape output, IReadOnlyList<SummaryRow> rows,
        long trainable, long nonTrainable)
    {
        ModelType = modelType;
        InputShape = input;
        OutputShape = output;
        Rows = rows;
        TrainableParameters = trainable;
        NonTrainableParameters = nonTrainable;
    }

    /// <summary>The model's class name.</summary>
    public string ModelType { get; }

    /// <summary>The shape the model was run on.</summary>
    public Shape InputShape { get; }

    /// <summary>The shape the model returned.</summary>
    public Shape OutputShape { get; }

    /// <summary>The layers that ran, in order.</summary>
    public IReadOnlyList<SummaryRow> Rows { get; }

    /// <summary>Trainable plus non-trainable.</summary>
    public long TotalParameters => TrainableParameters + NonTrainableParameters;

    /// <summary>Elements of parameters that require grad.</summary>
    public long TrainableParameters { get; }

    /// <summary>
    /// Elements of frozen parameters (RequiresGrad false) and of buffers: BatchNorm's running mean and variance, as Keras
    /// counts them, and also its one-element num_batches_tracked counter.
    /// </summary>
    public long NonTrainableParameters { get; }

    internal static ModelSummary Build(Module model, Shape input)
    {
        // Modules do not override Equals, so the dictionary compares references: a layer used twice keeps one name.
        var names = new Dictionary<Module, string>();
        foreach (var (name, module) in model.NamedModules())
            if (module != model) names.TryAdd(module, name);
        var hooked = new List<(SummaryRow Row, Tensor Output)>();
        var handles = names.Keys.Select(m => m.RegisterForwardHook((module, _, output) =>
        {
            string name = names[module];
            hooked.Add((new SummaryRow(name, module.GetType().Name, Depth(name), output.Shape,
                module.Parameters().Sum(p => (long)p.Numel)), output));
        })).ToList();
        bool wasTraining = model.Training;
        Tensor output;
        try
        {
            model.Eval();
            // Recording on (nothing is differentiated): the graph shows which layers' parameters took part, which finds
            // the layers a model ran through Forward instead of Call, where no hook fires.
            using var _ = Tensor.EnableGrad();
            output = model.Call(Tensor.Zeros(input));
        }
        finally
        {
            foreach (var h in handles) h.Dispose();
            model.Train(wasTraining);
        }
        var rows = WithLayersCalledThroughForward(names, hooked, output);
        var parameters = model.Parameters();
        long trainable = parameters.Where(p => p.RequiresGrad).Sum(p => (long)p.Numel);
        long frozen = parameters.Where(p => !p.RequiresGrad).Sum(p => (long)p.Numel)
            + model.NamedBuffers().Sum(b => (long)b.Buffer.Numel);
        return new ModelSummary(model.GetType().Name, input, output.Shape, rows, trainable, frozen)
        {
            Warnings = model.UnregisteredModules(),
        };
    }

    private static int Depth(string name) => name.Count(c => c == '.') + 1;

    /// <summary>
    /// The hooked rows, with a row added, in graph order, for each layer whose own parameters fed an operation of the
    /// graph but whose hook never fired (it ran through Forward).
    /// </summary>
    private static List<SummaryRow> WithLayersCalledThroughForward(Dictionary<Module, string> names,
        List<(SummaryRow Row, Tensor Output)> hooked, Tensor output)
    {
        var order = ExecutionOrder(output);
        var fired = new HashSet<string>(hooked.Select(h => h.Row.Name));
        var owner = new Dictionary<Tensor, Module>(ReferenceEqualityComparer.Instance);
        foreach (var module in names.Keys)
            if (!fired.Contains(names[module]))
                foreach (var p in module.DirectParameters()) owner.TryAdd(p, module);
        var last = new Dictionary<Module, (int Index, Tensor Output)>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < order.Count; i++)
            foreach (var x in order[i].GradFn!.Inputs)
                if (owner.TryGetValue(x, out var module)) last[module] = (i, order[i]);
        var pending = new Queue<SummaryRow>(last.OrderBy(kv => kv.Value.Index).Select(kv => new SummaryRow(names[kv.Key],
            kv.Key.GetType().Name, Depth(names[kv.Key]), kv.Value.Output.Shape, kv.Key.Parameters().Sum(p => (long)p.Numel),
            CalledThroughForward: true)));
        var keys = last.OrderBy(kv => kv.Value.Index).Select(kv => kv.Value.Index).ToList();
        var position = new Dictionary<Tensor, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < order.Count; i++) position.TryAdd(order[i], i);
        var rows = new List<SummaryRow>();
        int next = 0;
        foreach (var (row, produced) in hooked)
        {
            if (position.TryGetValue(produced, out int at))
                while (next < keys.Count && keys[next] < at)
                {
                    rows.Add(pending.Dequeue());
                    next++;
                }
            rows.Add(row);
        }
        rows.AddRange(pending);
        return rows;
    }

    /// <summary>The recorded tensors that led to <paramref name="output"/>, each after its inputs (the order they ran).</summary>
    private static List<Tensor> ExecutionOrder(Tensor output)
    {
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor Tensor, bool Expanded)>();
        stack.Push((output, false));
        while (stack.Count > 0)
        {
            var (t, expanded) = stack.Pop();
            if (t.GradFn is null) continue;
            if (expanded)
            {
                order.Add(t);
                continue;
            }
            if (!visited.Add(t)) continue;
            stack.Push((t, true));
            foreach (var x in t.GradFn.Inputs.Reverse()) stack.Push((x, false));
        }
        return order;
    }

    /// <summary>Fields that hold layers registered nowhere (see <see cref="Module.UnregisteredModules"/>), shown under the table.</summary>
    public IReadOnlyList<string> Warnings { get; private init; } = [];

    /// <summary>The table: "Layer (type)", "Output Shape", "Param #", then totals, as Keras' <c>model.summary()</c>.</summary>
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        var cells = Rows.Select(r => (Layer: new string(' ', 2 * (r.Depth - 1)) + $"{r.Name} ({r.Type}){(r.CalledThroughForward ? "*" : "")}",
            Shape: r.OutputShape.ToString(), Params: r.Parameters.ToString("N0", c))).ToList();
        int w1 = Math.Max("Layer (type)".Length, cells.Count == 0 ? 0 : cells.Max(x => x.Layer.Length)) + 2;
        int w2 = Math.Max("Output Shape".Length, cells.Count == 0 ? 0 : cells.Max(x => x.Shape.Length)) + 2;
        int w3 = Math.Max("Param #".Length, cells.Count == 0 ? 0 : cells.Max(x => x.Params.Length));
        int width = w1 + w2 + w3;
        var sb = new StringBuilder();
        sb.Append(c, $"Model: {ModelType}, input {InputShape}\n");
        sb.Append('=', width).Append('\n');
        sb.Append("Layer (type)".PadRight(w1)).Append("Output Shape".PadRight(w2)).Append("Param #".PadLeft(w3)).Append('\n');
        sb.Append('-', width).Append('\n');
        foreach (var (layer, shape, count) in cells)
            sb.Append(layer.PadRight(w1)).Append(shape.PadRight(w2)).Append(count.PadLeft(w3)).Append('\n');
        sb.Append('=', width).Append('\n');
        sb.Append(c, $"Total params: {TotalParameters:N0}\n");
        sb.Append(c, $"Trainable params: {TrainableParameters:N0}\n");
        sb.Append(c, $"Non-trainable params: {NonTrainableParameters:N0}\n");
        sb.Append(c, $"Output shape: {OutputShape}\n");
        if (Rows.Any(r => r.CalledThroughForward))
            sb.Append("* called through Forward, not Call: forward hooks do not see it, and its output shape is that of the last operation on its parameters\n");
        foreach (var warning in Warnings) sb.Append("Warning: ").Append(warning).Append('\n');
        return sb.ToString();
    }
}
