// The module that notebook cells import. It re-exports the layers below it,
// so that a cell sees tensors, layers and optimisers without any import.
@_exported import NN
@_exported import TensorCore
@_exported import NotebookDisplay
@_exported import Plotting
