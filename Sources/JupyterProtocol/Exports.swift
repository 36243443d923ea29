// Message contents are JSON values of the one JSON type the kernel, the
// executor wire and the notebook runtime share.
@_exported import WireJSON
