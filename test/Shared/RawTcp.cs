using System.Net;
using System.Net.Sockets;

namespace MultiSocket.Testing;

/// <summary>Plain TCP peers that read and write hand-made bytes, to check what a socket puts on the wire.</summary>
public static class RawTcp
{
    /// <summary>The endpoint of a <c>tcp://host:port</c> address.</summary>
    public static IPEndPoint EndPointOf(string address)
    {
        var uri = new Uri(address);
        return new IPEndPoint(IPAddress.Parse(uri.Host.Trim('[', ']')), uri.Port);
    }

    /// <summary>The <c>tcp://</c> address of a local endpoint, as MultiSocket formats it.</summary>
    public static string AddressOf(EndPoint? endPoint) =>
        endPoint is IPEndPoint ip ? $"tcp://{(ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address)}:{ip.Port}" : throw new ArgumentException("Not an IP endpoint.", nameof(endPoint));

    /// <summary>Connects a plain TCP client to a socket listening at <paramref name="address"/>.</summary>
    public static async Task<TcpClient> ConnectAsync(string address)
    {
        var client = new TcpClient(AddressFamily.InterNetwork) { NoDelay = true };
        await client.ConnectAsync(EndPointOf(address), Wait.Token());
        return client;
    }

    /// <summary>A plain TCP listener on a free loopback port; <c>Address</c> is what a socket dials.</summary>
    public static (System.Net.Sockets.TcpListener Listener, string Address) Listen()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return (listener, RawTcp.AddressOf(listener.LocalEndpoint));
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes (bounded wait).</summary>
    public static async Task<byte[]> ReadExactlyAsync(this TcpClient client, int count, TimeSpan? timeout = null)
    {
        var bytes = new byte[count];
        await client.GetStream().ReadExactlyAsync(bytes, Wait.Token(timeout));
        return bytes;
    }

    /// <summary>Reads until the peer closes (bounded wait); returns everything read.</summary>
    public static async Task<byte[]> ReadToEndAsync(this TcpClient client, TimeSpan? timeout = null)
    {
        var all = new MemoryStream();
        var token = Wait.Token(timeout);
        var chunk = new byte[4096];
        try
        {
            // The socket itself, not GetStream(): that refuses once our sending side is shut down.
            int n;
            while ((n = await client.Client.ReceiveAsync(chunk, SocketFlags.None, token)) > 0)
            {
                all.Write(chunk, 0, n);
            }
        }
        catch (SocketException)
        {
            // A reset after the data: what arrived before it counts.
        }
        catch (IOException)
        {
            // A reset after the data: what arrived before it counts.
        }

        return all.ToArray();
    }

    /// <summary>Writes <paramref name="bytes"/> and flushes.</summary>
    public static async Task WriteAsync(this TcpClient client, byte[] bytes)
    {
        var stream = client.GetStream();
        await stream.WriteAsync(bytes, Wait.Token());
        await stream.FlushAsync();
    }
}
