import CLZ4

/// The only place that calls liblz4: streaming compression and decompression of standard LZ4 frames
/// (64 KiB blocks, block and content checksums on, so `lz4 -d` reads a run file and a flipped byte is
/// detected). LZ4 error codes become `LZ4Error` here, once.
public struct LZ4Error: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var name: String
    public var description: String { "LZ4 \(operation) failed: \(name)" }

    static func check(_ code: Int, _ operation: String) throws -> Int {
        if LZ4F_isError(code) != 0 {
            throw LZ4Error(operation: operation, name: String(cString: LZ4F_getErrorName(code)))
        }
        return code
    }
}

/// Compresses a stream of bytes into one LZ4 frame at a time.
public final class LZ4FrameEncoder {
    static let blockSize = 64 * 1024
    private var context: OpaquePointer?
    private var preferences = LZ4F_preferences_t()
    /// Output of one call; large enough for any one update of up to `blockSize` bytes.
    let output: UnsafeMutableRawBufferPointer

    /// `acceleration` above 1 trades compression ratio for speed (LZ4's fast acceleration).
    public init(acceleration: Int = 1) throws {
        var ctx: OpaquePointer?
        _ = try LZ4Error.check(LZ4F_createCompressionContext(&ctx, UInt32(LZ4F_VERSION)), "create compression context")
        context = ctx
        preferences.frameInfo.blockSizeID = LZ4F_max64KB
        preferences.frameInfo.blockMode = LZ4F_blockIndependent
        preferences.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled
        preferences.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled
        preferences.compressionLevel = Int32(1 - max(1, acceleration))
        let bound = LZ4F_compressBound(Self.blockSize, &preferences) + 64
        output = UnsafeMutableRawBufferPointer.allocate(byteCount: bound, alignment: 16)
    }

    deinit {
        LZ4F_freeCompressionContext(context)
        output.deallocate()
    }

    /// Starts a frame; returns the header bytes in `output[0..<n]`.
    func begin() throws -> Int {
        try LZ4Error.check(LZ4F_compressBegin(context, output.baseAddress, output.count, &preferences), "begin frame")
    }

    /// Compresses up to `blockSize` bytes; returns the bytes produced in `output[0..<n]`.
    func update(_ input: UnsafeRawBufferPointer) throws -> Int {
        precondition(input.count <= Self.blockSize)
        return try LZ4Error.check(LZ4F_compressUpdate(context, output.baseAddress, output.count,
                                                      input.baseAddress, input.count, nil), "compress")
    }

    /// Ends the frame (flush and content checksum); returns the bytes produced.
    func end() throws -> Int {
        try LZ4Error.check(LZ4F_compressEnd(context, output.baseAddress, output.count, nil), "end frame")
    }
}

/// Decompresses one LZ4 frame incrementally.
public final class LZ4FrameDecoder {
    private var context: OpaquePointer?
    private(set) var frameComplete = false

    init() throws {
        var ctx: OpaquePointer?
        _ = try LZ4Error.check(LZ4F_createDecompressionContext(&ctx, UInt32(LZ4F_VERSION)), "create decompression context")
        context = ctx
    }

    deinit { LZ4F_freeDecompressionContext(context) }

    func reset() {
        LZ4F_resetDecompressionContext(context)
        frameComplete = false
    }

    /// Decodes from `input` into `output`; returns (bytes consumed, bytes produced). Sets
    /// `frameComplete` when the frame's end (and its checksum) has been verified.
    func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> (consumed: Int, produced: Int) {
        var sourceSize = input.count
        var destinationSize = output.count
        let hint = try LZ4Error.check(LZ4F_decompress(context, output.baseAddress, &destinationSize,
                                                      input.baseAddress, &sourceSize, nil), "decompress")
        if hint == 0 { frameComplete = true }
        return (sourceSize, destinationSize)
    }
}
