using System.Diagnostics.CodeAnalysis;
using MultiSocket;

namespace MultiSocket.Bench;

/// <summary>
/// One MultiSocket endpoint as the workloads use it. The workloads only see this interface, so the core
/// <see cref="Socket"/> driven directly (<see cref="CoreSocketPatterns"/>) can later be swapped for protocol sockets.
/// </summary>
internal interface IBenchSocket : IAsyncDisposable
{
    /// <summary>Number of connected peers.</summary>
    int PeerCount { get; }

    /// <summary>Listens; returns the address to dial.</summary>
    Task<string> ListenAsync(string address);

    Task DialAsync(string address);

    /// <summary>Push, pub or request send.</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> content);

    /// <summary>Reply to <paramref name="request"/> (rep side).</summary>
    ValueTask ReplyAsync(Message request, ReadOnlyMemory<byte> content);

    bool TryReceive([NotNullWhen(true)] out Message? message);

    ValueTask<Message> ReceiveAsync(CancellationToken cancellationToken);
}

/// <summary>Makes the MultiSocket endpoints of each pattern.</summary>
internal interface IMultiSocketPatterns
{
    /// <summary>How the patterns are built, for the report.</summary>
    string Description { get; }

    IBenchSocket Push();

    IBenchSocket Pull();

    IBenchSocket Request();

    IBenchSocket Reply();

    IBenchSocket Publish();

    IBenchSocket Subscribe();
}
