import Foundation  // ContiguousBytes (Data, [UInt8])
#if canImport(Glibc)
    import Glibc
#endif

/// Reading and writing the wire's pipes, shared by the kernel, the executor
/// and the notebook runtime.
public enum PipeIO {
    /// Writes every byte, retrying after signals; false when the reader is
    /// gone (or another error stops the write).
    @discardableResult
    public static func writeAll<Bytes: ContiguousBytes>(_ fd: Int32, _ bytes: Bytes) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += written
            }
            return true
        }
    }

    /// One line without its newline, read a byte at a time so that nothing
    /// after it is taken from the pipe (the processes of a fork chain share
    /// it); nil at the end of the pipe.
    public static func readLine(_ fd: Int32) -> [UInt8]? {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = read(fd, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return nil }
            if byte == 0x0A { return line }
            line.append(byte)
        }
    }
}
