using System.Net.Sockets;
using MultiSocket.Transport;

namespace MultiSocket.Transports.Ipc;

/// <summary>
/// <c>ipc:///path/to/socket</c>: framed messages over a Unix domain socket, through the same socket ⇄ pipe plumbing as
/// tcp. A socket file left behind by a crashed process does not block a new listener (it is probed and, when nobody
/// answers, removed); a listener removes its file when it closes. A live listener on the path makes a second listen
/// fail with <see cref="SocketError.AddressAlreadyInUse"/>.
/// </summary>
public sealed class IpcTransport : ITransport
{
    /// <inheritdoc />
    public string Scheme => "ipc";

    /// <inheritdoc />
    public async ValueTask<IConnection> DialAsync(TransportAddress address, TransportOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(options);
        var endPoint = EndPointOf(address);
        var socket = NewSocket(options);
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            return Wrap(socket, address.Address, options);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressNotAvailable)
        {
            // No socket file at all: to the caller that is the same as nobody listening, as on tcp.
            socket.Dispose();
            throw new SocketException((int)SocketError.ConnectionRefused, $"Nobody listens at {address} (no socket file).");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask<IListener> ListenAsync(TransportAddress address, TransportOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(options);
        var endPoint = EndPointOf(address);
        await RemoveStaleFileAsync(address, endPoint, cancellationToken).ConfigureAwait(false);
        var socket = NewSocket(options);
        try
        {
            socket.Bind(endPoint);
            socket.Listen(512);
            string path = address.Address;
            return new SocketListener(socket, $"ipc://{path}", accepted => Wrap(accepted, path, options), () => RemoveSocketFile(path));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static void RemoveSocketFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left for the next listener, which treats a leftover socket file as stale.
        }
    }

    internal static SocketPipeConnection Wrap(System.Net.Sockets.Socket socket, string path, TransportOptions options) =>
        new(socket, $"ipc://{path}", $"ipc://{path}", options);

    private static UnixDomainSocketEndPoint EndPointOf(TransportAddress address)
    {
        if (!System.Net.Sockets.Socket.OSSupportsUnixDomainSockets)
        {
            throw new PlatformNotSupportedException("This system has no Unix domain sockets, which ipc:// needs.");
        }

        try
        {
            return new UnixDomainSocketEndPoint(address.Address);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"Address '{address.Original}' is not a usable socket path: {ex.Message}", nameof(address), ex);
        }
    }

    private static System.Net.Sockets.Socket NewSocket(TransportOptions options)
    {
        var socket = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        if (options.SendBufferSize > 0)
        {
            socket.SendBufferSize = options.SendBufferSize;
        }

        if (options.ReceiveBufferSize > 0)
        {
            socket.ReceiveBufferSize = options.ReceiveBufferSize;
        }

        return socket;
    }

    /// <summary>
    /// A socket file nobody listens on is what a crashed process leaves: remove it. If someone answers, the address is
    /// in use and binding fails as it should.
    /// </summary>
    private static async Task RemoveStaleFileAsync(TransportAddress address, UnixDomainSocketEndPoint endPoint, CancellationToken cancellationToken)
    {
        string path = address.Address;
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            return;
        }

        if (file.Length != 0)
        {
            // A socket file has no content; this is someone's data, not a leftover socket.
            throw new IOException($"{address} names a file that is not a socket ({file.Length} bytes); not removing it.");
        }

        using var probe = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await probe.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionRefused or SocketError.AddressNotAvailable)
        {
            File.Delete(path);
            return;
        }

        throw new SocketException((int)SocketError.AddressAlreadyInUse, $"{address} is already bound by a live listener.");
    }
}
