namespace MultiSocket;

/// <summary>Base type of the errors MultiSocket raises itself (as opposed to argument and I/O errors).</summary>
public class MultiSocketException : Exception
{
    /// <summary>Creates the exception with a message.</summary>
    public MultiSocketException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public MultiSocketException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
