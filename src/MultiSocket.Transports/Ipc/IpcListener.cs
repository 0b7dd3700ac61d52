using System.Net.Sockets;
using MultiSocket.Transport;

namespace MultiSocket.Transports.Ipc;

/// <summary>A bound Unix domain socket; closing it removes its socket file.</summary>
internal sealed class IpcListener : IListener
{
    private readonly System.Net.Sockets.Socket _socket;
    private readonly string _path;
    private readonly TransportOptions _options;
    private int _disposed;

    public IpcListener(System.Net.Sockets.Socket socket, string path, TransportOptions options)
    {
        _socket = socket;
        _path = path;
        _options = options;
    }

    public string BoundAddress => $"ipc://{_path}";

    public async ValueTask<IConnection> AcceptAsync(CancellationToken cancellationToken = default)
    {
        System.Net.Sockets.Socket accepted;
        try
        {
            accepted = await _socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.OperationAborted)
        {
            throw new ObjectDisposedException(nameof(IpcListener), "The listener was closed.");
        }

        return IpcTransport.Wrap(accepted, _path, _options);
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _socket.Dispose();
            try
            {
                File.Delete(_path);
            }
            catch (IOException)
            {
                // Someone else's problem now: a new listener treats a leftover file as stale.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return default;
    }
}
