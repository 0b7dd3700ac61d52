using MultiSocket.Transport;
using MultiSocket.Transports.Inproc;
using MultiSocket.Transports.Tcp;

// The transports TransportRegistry finds when this assembly is loaded.
[assembly: TransportProvider(typeof(TcpTransport))]
[assembly: TransportProvider(typeof(InprocTransport))]
[assembly: TransportProvider(typeof(MultiSocket.Transports.Ipc.IpcTransport))]
[assembly: TransportProvider(typeof(MultiSocket.Transports.Ws.WsTransport))]
