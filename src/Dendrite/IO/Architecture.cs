using System.Text.Json;
using System.Text.Json.Nodes;
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
    /// <exception cref="InvalidDataException">The description is malformed or names an unregistered type.</exception>
    public static Module Build(JsonNode description)
    {
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
    public static Module FromJson(string json)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"architecture: not valid JSON: {e.Message}", e);
        }
        return Build(node ?? throw new InvalidDataException("architecture: the description is null."));
    }

    private static Module Build(JsonNode node, string where)
    {
        if (node is not JsonObject json)
            throw new InvalidDataException($"architecture: {where}: expected an object with a \"type\", got {node.ToJsonString()}.");
        if (!json.TryGetPropertyValue("type", out var typeNode) || typeNode is not JsonValue typeValue || !typeValue.TryGetValue(out string? type))
            throw new InvalidDataException($"architecture: {where}: missing \"type\".");
        Entry? entry;
        lock (s_lock) s_byName.TryGetValue(type, out entry);
        if (entry is null)
            throw new InvalidDataException(
                $"architecture: {where}: unknown layer type \"{type}\"; registered: {string.Join(", ", RegisteredTypes.Keys.Order())}.");
        var children = new List<(string, Module)>();
        if (entry.HasChildren)
        {
            if (json["children"] is not JsonObject childNodes)
                throw new InvalidDataException($"architecture: {where} ({type}): missing \"children\" object.");
            foreach (var (name, child) in childNodes)
                children.Add((name, Build(child ?? throw new InvalidDataException($"architecture: {where}.{name}: null."), where + "." + name)));
        }
        var config = new LayerConfig(json, type, $"architecture: {where} ({type})");
        try
        {
            return entry.Create(config, children);
        }
        catch (ArgumentException e)
        {
            // The constructor's own check ("Linear: inFeatures must be positive, got 0") with where it came from.
            throw new InvalidDataException($"architecture: {where} ({type}): {e.Message}", e);
        }
    }
}
