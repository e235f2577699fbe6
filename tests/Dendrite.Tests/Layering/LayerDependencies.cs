using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Dendrite.Tests.Layering;

/// <summary>
/// Which types of a built assembly use which others, by the source folder each type lives in (read from the portable
/// PDB's method documents): the layers of DESIGN.md are folders, and a dependency is any reference a type's signatures
/// or method bodies make to a type of another folder (fields, base types, parameters, locals, calls, allocations).
/// </summary>
internal sealed class LayerDependencies
{
    /// <summary>Folder of each type (its full name → the folder under the project, e.g. "Backends/Cpu").</summary>
    public IReadOnlyDictionary<string, string> FolderOf { get; }

    /// <summary>Every (from type, to type) reference between two types of this assembly.</summary>
    public IReadOnlyList<(string From, string To)> References { get; }

    private LayerDependencies(Dictionary<string, string> folderOf, List<(string, string)> references) =>
        (FolderOf, References) = (folderOf, references);

    /// <summary>Reads <paramref name="assemblyPath"/> and the portable PDB beside it.</summary>
    public static LayerDependencies Read(string assemblyPath)
    {
        using var pe = new PEReader(File.OpenRead(assemblyPath));
        var md = pe.GetMetadataReader();
        using var pdbProvider = MetadataReaderProvider.FromPortablePdbStream(File.OpenRead(Path.ChangeExtension(assemblyPath, ".pdb")));
        var pdb = pdbProvider.GetMetadataReader();
        string root = ProjectRoot(pdb);

        var folderOf = new Dictionary<string, string>();
        var references = new List<(string, string)>();
        foreach (var typeHandle in md.TypeDefinitions)
        {
            var type = md.GetTypeDefinition(typeHandle);
            string name = FullName(md, typeHandle);
            var used = new HashSet<string>();
            string? folder = null;
            foreach (var methodHandle in type.GetMethods())
            {
                var debug = pdb.GetMethodDebugInformation(methodHandle.ToDebugInformationHandle());
                if (!debug.Document.IsNil && folder is null)
                    folder = FolderOfDocument(pdb.GetString(pdb.GetDocument(debug.Document).Name), root);
                var method = md.GetMethodDefinition(methodHandle);
                AddSignatureTypes(md, method.Signature, used);
                if (method.RelativeVirtualAddress != 0) AddBodyReferences(md, pe.GetMethodBody(method.RelativeVirtualAddress), used);
            }
            foreach (var fieldHandle in type.GetFields()) AddSignatureTypes(md, md.GetFieldDefinition(fieldHandle).Signature, used);
            if (!type.BaseType.IsNil) AddType(md, type.BaseType, used);
            if (folder is not null) folderOf[name] = folder;
            foreach (var target in used)
                if (target != name) references.Add((name, target));
        }
        // Nested and compiler-generated types (closures, state machines) belong to the folder of the type holding them.
        foreach (var typeHandle in md.TypeDefinitions)
        {
            string name = FullName(md, typeHandle);
            if (folderOf.ContainsKey(name)) continue;
            var declaring = md.GetTypeDefinition(typeHandle).GetDeclaringType();
            while (!declaring.IsNil && !folderOf.ContainsKey(FullName(md, declaring)))
                declaring = md.GetTypeDefinition(declaring).GetDeclaringType();
            if (!declaring.IsNil) folderOf[name] = folderOf[FullName(md, declaring)];
        }
        return new LayerDependencies(folderOf, references);
    }

    /// <summary>
    /// The references from types in a folder matching <paramref name="fromFolder"/> to types in a folder matching
    /// <paramref name="toFolder"/>, as "From → To (from folder → to folder)" lines.
    /// </summary>
    public IReadOnlyList<string> Violations(Func<string, bool> fromFolder, Func<string, bool> toFolder) =>
        References
            .Where(r => FolderOf.TryGetValue(r.From, out var f) && fromFolder(f) && FolderOf.TryGetValue(r.To, out var t) && toFolder(t))
            .Select(r => $"{r.From} → {r.To} ({FolderOf[r.From]} → {FolderOf[r.To]})")
            .Distinct()
            .ToList();

    private static string ProjectRoot(MetadataReader pdb)
    {
        // The project folder: the longest common directory of the documents (all of them lie under it).
        var paths = pdb.Documents.Select(d => pdb.GetString(pdb.GetDocument(d).Name).Replace('\\', '/'))
            .Where(p => p.EndsWith(".cs", StringComparison.Ordinal) && !p.Contains("/obj/", StringComparison.Ordinal)).ToList();
        string prefix = paths[0][..(paths[0].LastIndexOf('/') + 1)];
        foreach (var p in paths)
            while (!p.StartsWith(prefix, StringComparison.Ordinal)) prefix = prefix[..(prefix.TrimEnd('/').LastIndexOf('/') + 1)];
        return prefix;
    }

    private static string FolderOfDocument(string document, string root)
    {
        var path = document.Replace('\\', '/');
        var relative = path.StartsWith(root, StringComparison.Ordinal) ? path[root.Length..] : path;
        int slash = relative.LastIndexOf('/');
        return slash < 0 ? "" : relative[..slash];
    }

    private static string FullName(MetadataReader md, TypeDefinitionHandle handle)
    {
        var type = md.GetTypeDefinition(handle);
        var declaring = type.GetDeclaringType();
        string name = md.GetString(type.Name);
        return declaring.IsNil ? $"{md.GetString(type.Namespace)}.{name}".TrimStart('.') : $"{FullName(md, declaring)}+{name}";
    }

    private static void AddType(MetadataReader md, EntityHandle handle, HashSet<string> used)
    {
        switch (handle.Kind)
        {
            case HandleKind.TypeDefinition:
                used.Add(FullName(md, (TypeDefinitionHandle)handle));
                break;
            case HandleKind.TypeSpecification:
                md.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(new TypeCollector(md, used), null);
                break;
        }
    }

    private static void AddSignatureTypes(MetadataReader md, BlobHandle signature, HashSet<string> used)
    {
        var decoder = new SignatureDecoder<string, object?>(new TypeCollector(md, used), md, null);
        var reader = md.GetBlobReader(signature);
        var header = reader.ReadSignatureHeader();
        reader.Offset = 0;
        switch (header.Kind)
        {
            case SignatureKind.Field: decoder.DecodeFieldSignature(ref reader); break;
            case SignatureKind.LocalVariables: decoder.DecodeLocalSignature(ref reader); break;
            case SignatureKind.MethodSpecification: decoder.DecodeMethodSpecificationSignature(ref reader); break;
            default: decoder.DecodeMethodSignature(ref reader); break;
        }
    }

    /// <summary>Decodes signatures, noting every type of this assembly they name (generic arguments and arrays included).</summary>
    private sealed class TypeCollector(MetadataReader md, HashSet<string> used) : ISignatureTypeProvider<string, object?>
    {
        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind)
        {
            string name = FullName(md, handle);
            used.Add(name);
            return name;
        }

        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => "";
        public string GetTypeFromSpecification(MetadataReader reader, object? context, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, context);
        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => "";
        public string GetSZArrayType(string elementType) => elementType;
        public string GetArrayType(string elementType, ArrayShape shape) => elementType;
        public string GetByReferenceType(string elementType) => elementType;
        public string GetPointerType(string elementType) => elementType;
        public string GetPinnedType(string elementType) => elementType;
        public string GetGenericInstantiation(string genericType, System.Collections.Immutable.ImmutableArray<string> typeArguments) => genericType;
        public string GetGenericMethodParameter(object? genericContext, int index) => "";
        public string GetGenericTypeParameter(object? genericContext, int index) => "";
        public string GetFunctionPointerType(MethodSignature<string> signature) => "";
        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;
    }

    private static readonly Dictionary<short, OperandType> s_operands = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value, o => o.OperandType);

    /// <summary>Types whose members or tokens a method body uses: calls, field accesses, allocations, casts, locals.</summary>
    private static void AddBodyReferences(MetadataReader md, MethodBodyBlock body, HashSet<string> used)
    {
        if (!body.LocalSignature.IsNil)
            AddSignatureTypes(md, md.GetStandaloneSignature(body.LocalSignature).Signature, used);
        var il = body.GetILReader();
        while (il.RemainingBytes > 0)
        {
            short value = il.ReadByte();
            if (value == 0xFE) value = unchecked((short)(0xFE00 | il.ReadByte()));
            switch (s_operands[value])
            {
                case OperandType.InlineNone: break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar: il.Offset += 1; break;
                case OperandType.InlineVar: il.Offset += 2; break;
                case OperandType.InlineI8 or OperandType.InlineR: il.Offset += 8; break;
                case OperandType.InlineSwitch:
                    int targets = il.ReadInt32(); // read first: `il.Offset += 4 * il.ReadInt32()` would drop the count's 4 bytes
                    il.Offset += 4 * targets;
                    break;
                case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineTok or OperandType.InlineType:
                    AddToken(md, MetadataTokens.EntityHandle(il.ReadInt32()), used);
                    break;
                default: il.Offset += 4; break;
            }
        }
    }

    private static void AddToken(MetadataReader md, EntityHandle token, HashSet<string> used)
    {
        switch (token.Kind)
        {
            case HandleKind.MethodDefinition:
                used.Add(FullName(md, md.GetMethodDefinition((MethodDefinitionHandle)token).GetDeclaringType()));
                break;
            case HandleKind.FieldDefinition:
                used.Add(FullName(md, md.GetFieldDefinition((FieldDefinitionHandle)token).GetDeclaringType()));
                break;
            case HandleKind.MemberReference:
                var member = md.GetMemberReference((MemberReferenceHandle)token);
                AddType(md, member.Parent, used);
                AddSignatureTypes(md, member.Signature, used);
                break;
            case HandleKind.MethodSpecification:
                var spec = md.GetMethodSpecification((MethodSpecificationHandle)token);
                AddToken(md, spec.Method, used);
                AddSignatureTypes(md, spec.Signature, used);
                break;
            default:
                AddType(md, token, used);
                break;
        }
    }
}
