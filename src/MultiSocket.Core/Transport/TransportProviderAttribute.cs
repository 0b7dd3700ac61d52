namespace MultiSocket.Transport;

/// <summary>
/// Marks an assembly as providing a transport; <see cref="TransportRegistry"/> creates one instance of
/// <see cref="TransportType"/> (which needs a public parameterless constructor) when the assembly is loaded.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
public sealed class TransportProviderAttribute(Type transportType) : Attribute
{
    /// <summary>A type implementing <see cref="ITransport"/>.</summary>
    public Type TransportType { get; } = transportType;
}
