using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dendrite.Data;
using Dendrite.NN;

namespace Dendrite.IO;

/// <summary>
/// A model's architecture as JSON, so a saved model can be rebuilt without its source code. Each layer is an object
/// with its registered "type" and its constructor arguments under PyTorch's argument names; containers add their
/// children under "children", by name:
/// <code>{"type": "Sequential", "children": {"0": {"type": "Flatten", "start_dim": 1, "end_dim": -1},
///                                       "1": {"type": "Linear", "in_features": 784, "out_features": 10, "bias": true}}}</code>
/// Every layer type says once, in <see cref="BuiltInLayers"/> (or through <see cref="Register{T}"/> for your own
/// types), how it describes itself and how it is rebuilt from that description.
/// </summary>
public static class Architecture
{
    private sealed record Entry(string Type, Type ClrType, Func<Module, JsonObject> Describe,
        Func<LayerConfig, IReadOnlyList<(string Name, Module Module)>, Module> Create, bool HasChildren);

    private static readonly Dictionary<string, Entry> s_byName = [];
    private static readonly Dictionary<Type, Entry> s_byType = [];
    private static readonly Lock s_lock = new();

    static Architecture() => BuiltInLayers.RegisterAll();

    /// <summary>
    /// The key under which the <see cref="InvalidDataException"/> for an unregistered layer type carries that type's
    /// name in <see cref="Exception.Data"/> (on it or on an exception it is wrapped in as the inner one), so a tool can
    /// say how to load the code that defines it.
    /// </summary>
    public const string UnknownLayerTypeKey = "Dendrite.UnknownLayerType";

    /// <summary>
    /// Registers a layer type whose constructor builds everything inside it: <paramref name="describe"/> returns its
    /// constructor arguments, <paramref name="create"/> calls the constructor with them. Registering a type again
    /// replaces its entry.
    /// </summary>
    public static void Register<T>(string type, Func<T, JsonObject> describe, Func<LayerConfig, T> create) where T : Module =>
        Add(new Entry(type, typeof(T), m => describe((T)m), (config, _) => create(config), HasChildren: false));

    /// <summary>
    /// Registers a container whose children are described and rebuilt one by one (Sequential): <paramref name="create"/>
    /// receives the rebuilt children in their saved order, with their names.
    /// </summary>
    public static void RegisterContainer<T>(string type, Func<T, JsonObject> describe,
        Func<LayerConfig, IReadOnlyList<(string Name, Module Module)>, T> create) where T : Module =>
        Add(new Entry(type, typeof(T), m => describe((T)m), create, HasChildren: true));

    private static void Add(Entry entry)
    {
        lock (s_lock)
        {
            if (s_byName.TryGetValue(entry.Type, out var old) && old.ClrType != entry.ClrType)
                throw new ArgumentException($"Architecture: the type name \"{entry.Type}\" already belongs to {old.ClrType.FullName}.");
            s_byName[entry.Type] = entry;
            s_byType[entry.ClrType] = entry;
        }
    }

    /// <summary>The registered type names with their classes.</summary>
    public static IReadOnlyDictionary<string, Type> RegisteredTypes
    {
        get
        {
            lock (s_lock) return s_byName.ToDictionary(kv => kv.Key, kv => kv.Value.ClrType);
        }
    }

    /// <summary>The description of <paramref name="model"/> and everything inside it.</summary>
    /// <exception cref="ArgumentException">A module's type is not registered.</exception>
    public static JsonObject Describe(Module model) => Describe(model, "model");

    private static JsonObject Describe(Module module, string where)
    {
        Entry? entry;
        lock (s_lock) s_byType.TryGetValue(module.GetType(), out entry);
        if (entry is null)
            throw new ArgumentException(
                $"Architecture: {where} is a {module.GetType().Name}, which has no registered description. " +
                $"Hint: call Architecture.Register<{module.GetType().Name}>(…) once, or save only the weights with SafeTensors.Save(path, model.StateDict()).");
        var json = new JsonObject { ["type"] = entry.Type };
        foreach (var (key, value) in entry.Describe(module))
        {
            if (key is "type" or "children") throw new ArgumentException($"Architecture: {entry.Type} describes itself with the reserved key \"{key}\".");
            json[key] = value?.DeepClone();
        }
        if (entry.HasChildren)
        {
            var children = new JsonObject();
            foreach (var (name, child) in module.NamedChildren()) children[name] = Describe(child, where + "." + name);
            json["children"] = children;
        }
        return json;
    }

    /// <summary>The description as indented JSON text.</summary>
    public static string ToJson(Module model) => Describe(model).ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    /// <summary>
    /// Builds a fresh model from a description. Parameters get their usual initial values (a saved model then loads its
    /// weights into them); the default generator's state is left as it was, so loading a model changes no random stream.
    /// </summary>
    /// <exception cref="InvalidDataException">The description is malformed, names an unregistered type, or describes
    /// parameters past <see cref="ModelFile.MaxParameterBytes"/>; sizes are checked before any layer is built.</exception>
    public static Module Build(JsonNode description)
    {
        ExpectedState(description, ModelFile.MaxParameterBytes);
        var saved = Generator.Default.GetState();
        try
        {
            return Build(description, "model");
        }
        finally
        {
            Generator.Default.SetState(saved);
        }
    }

    /// <summary>Parses JSON text and builds the model it describes (see <see cref="Build(JsonNode)"/>).</summary>
    public static Module FromJson(string json) => Build(Parse(json));

    /// <summary>The description in <paramref name="json"/>, parsed with every key checked unique.</summary>
    internal static JsonNode Parse(string json) =>
        StrictJson.Parse(json, "architecture") ?? throw new InvalidDataException("architecture: the description is null.");

    /// <summary>The most parameter tensors a description may hold (a ResNet-152 has about 900).</summary>
    public const int MaxTensors = 100_000;

    /// <summary>
    /// The state dict (names and shapes) that the model <paramref name="description"/> describes will hold, worked out
    /// without building it, with every size field checked and the total in bytes (float32, counted in 64 bits) checked
    /// against <paramref name="maxBytes"/>. Null when the description holds a type registered outside the library,
    /// whose tensors only its constructor knows.
    /// </summary>
    /// <exception cref="InvalidDataException">A field is malformed or not positive, or the tensors need more than
    /// <paramref name="maxBytes"/> bytes or number more than <see cref="MaxTensors"/>; the message names the layer.</exception>
    /// <param name="maxTensors">A lower bound than <see cref="MaxTensors"/> when fewer could fit (a file's tensor count).</param>
    /// <param name="whyMax">What the message says of <paramref name="maxTensors"/> ("the file holds 4").</param>
    internal static IReadOnlyList<(string Name, long[] Shape)>? ExpectedState(JsonNode description, long maxBytes,
        int maxTensors = MaxTensors, string whyMax = "the most a description may hold")
    {
        var state = new List<(string, long[])>();
        long bytes = 0;
        bool known = true;
        Walk(description, "model", "");
        return known ? state : null;

        void Walk(JsonNode node, string where, string prefix)
        {
            var (entry, json) = Lookup(node, where);
            var config = new LayerConfig(json, entry.Type, $"architecture: {where} ({entry.Type})");
            if (entry.HasChildren)
            {
                var children = Children(json, entry.Type, where);
                if (entry.Type == "RecurrentClassifier")
                {
                    // Its constructor builds "fc" from the class count and the recurrent child, whatever "fc" says.
                    var rnn = children.FirstOrDefault(c => c.Name == "rnn").Node
                        ?? throw new InvalidDataException($"{config.Where}: child \"rnn\" must be an RNN, LSTM or GRU.");
                    var (rnnEntry, rnnJson) = Lookup(rnn, where + ".rnn");
                    if (rnnEntry.Type is not ("RNN" or "LSTM" or "GRU"))
                        throw new InvalidDataException($"{config.Where}: child \"rnn\" must be an RNN, LSTM or GRU, got {MessageText.Printable(rnnEntry.Type)}.");
                    Walk(rnn, where + ".rnn", prefix + "rnn.");
                    var rnnConfig = new LayerConfig(rnnJson, rnnEntry.Type, $"architecture: {where}.rnn ({rnnEntry.Type})");
                    Add(BuiltInLayers.RecurrentClassifierHead(config, rnnConfig), config.Where, prefix);
                }
                else if (entry.Type == "Sequential")
                {
                    // Sequential numbers its layers 0, 1, … whatever the description calls them.
                    for (int i = 0; i < children.Count; i++)
                        Walk(children[i].Node, where + "." + MessageText.Printable(children[i].Name), prefix + i.ToString(CultureInfo.InvariantCulture) + ".");
                }
                else
                    known = false;
                return;
            }
            if (entry.ClrType.Assembly != typeof(Architecture).Assembly || BuiltInLayers.State(entry.Type, config) is not { } tensors)
            {
                known = false;
                return;
            }
            Add(tensors, config.Where, prefix);
        }

        void Add(IEnumerable<(string Name, long[] Shape)> tensors, string where, string prefix)
        {
            foreach (var (name, shape) in tensors)
            {
                long numel = 1;
                foreach (long d in shape)
                {
                    if (d > int.MaxValue || numel > (long.MaxValue / sizeof(float)) / d)
                        throw new InvalidDataException($"{where}: tensor \"{prefix}{name}\" [{string.Join(", ", shape)}] is larger than a tensor can be.");
                    numel *= d;
                }
                if (numel > int.MaxValue)
                    throw new InvalidDataException($"{where}: tensor \"{prefix}{name}\" [{string.Join(", ", shape)}] has {numel} elements, more than the {int.MaxValue} a tensor holds.");
                bytes += numel * sizeof(float);
                if (bytes > maxBytes)
                    throw new InvalidDataException(
                        $"{where}: the model's parameters reach {bytes} bytes at \"{prefix}{name}\" [{string.Join(", ", shape)}], more than " +
                        $"ModelFile.MaxParameterBytes = {maxBytes}; raise it to load a model this large.");
                if (state.Count >= maxTensors)
                    throw new InvalidDataException($"{where}: the model holds more than {maxTensors} parameter tensors, {whyMax}.");
                state.Add((prefix + name, shape));
            }
        }
    }

    private static (Entry Entry, JsonObject Json) Lookup(JsonNode node, string where)
    {
        if (node is not JsonObject json)
            throw new InvalidDataException($"architecture: {where}: expected an object with a \"type\", got {Shorten(node.ToJsonString())}.");
        if (!json.TryGetPropertyValue("type", out var typeNode) || typeNode is not JsonValue typeValue || !typeValue.TryGetValue(out string? type))
            throw new InvalidDataException($"architecture: {where}: missing \"type\".");
        Entry? entry;
        lock (s_lock) s_byName.TryGetValue(type, out entry);
        if (entry is null)
            throw new InvalidDataException(
                $"architecture: {where}: unknown layer type \"{MessageText.Printable(type)}\"; registered: {string.Join(", ", RegisteredTypes.Keys.Order())}.")
            {
                Data = { [UnknownLayerTypeKey] = type },
            };
        return (entry, json);
    }

    private static List<(string Name, JsonNode Node)> Children(JsonObject json, string type, string where)
    {
        if (json["children"] is not JsonObject childNodes)
            throw new InvalidDataException($"architecture: {where} ({type}): missing \"children\" object.");
        return [.. childNodes.Select(kv => (kv.Key,
            kv.Value ?? throw new InvalidDataException($"architecture: {where}.{MessageText.Printable(kv.Key)}: null.")))];
    }

    private static string Shorten(string json) => json.Length <= 80 ? json : json[..80] + "…";

    private static Module Build(JsonNode node, string where)
    {
        var (entry, json) = Lookup(node, where);
        string type = entry.Type;
        var children = new List<(string, Module)>();
        if (entry.HasChildren)
            foreach (var (name, child) in Children(json, type, where))
                children.Add((name, Build(child, where + "." + MessageText.Printable(name))));
        var config = new LayerConfig(json, type, $"architecture: {where} ({type})");
        try
        {
            return entry.Create(config, children);
        }
        catch (ArgumentException e)
        {
            // The constructor's own check ("Linear: inFeatures must be positive, got 0") with where it came from.
            throw new InvalidDataException($"architecture: {where} ({type}): {MessageText.OneLine(e.Message)}", e);
        }
    }
}
