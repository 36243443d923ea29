// The module that notebook cells import. It re-exports the layers below it,
// so that a cell sees tensors, layers and optimisers without any import,
// and Foundation, so that `sqrt(2.0)`, `log(10.0)` or `Date()` work in a
// cell as a reader expects (the DSL's tensor `log` and `sqrt` otherwise
// hide the scalar ones).
@_exported import Foundation
@_exported import NN
@_exported import TensorCore
@_exported import NotebookDisplay
@_exported import Plotting
