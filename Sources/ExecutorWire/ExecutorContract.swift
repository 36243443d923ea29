/// The names and numbers the kernel, the executor, the cell compiler and
/// the notebook runtime in libDDPM.so must agree on, in one place. A test
/// loads libDDPM.so and finds every entry point named here
/// (`ExecutorContractTests`).
public enum ExecutorContract {
    /// The module every cell imports: the DSL, in libDDPM.so.
    public static let dslModule = "DDPM"
    /// The library that holds it, with the notebook runtime.
    public static let dslLibrary = "libDDPM.so"

    /// Functions of the notebook runtime that rewritten cells call.
    public enum CellFunction {
        /// Reports the value of a cell's last bare expression.
        public static let result = "_cellResult"
        /// Ends a cell's asynchronous top-level code (instead of `exit(0)`).
        public static let asyncMainEnded = "_cellAsyncMainEnded"
    }

    /// C entry points (`@_cdecl` or C) of libDDPM.so that the executor calls.
    public enum EntryPoint {
        /// Once, after loading the library: unbuffered output, the SIGINT
        /// flag, the notebook's executor of Swift concurrency.
        public static let start = "ddpm_notebook_start"
        /// `void ddpm_notebook_cell_begin(const char *parent)`, before each
        /// cell or event: forgets an earlier interrupt; `parent` is the id of
        /// the request the output belongs to.
        public static let cellBegin = "ddpm_notebook_cell_begin"
        /// `void ddpm_notebook_dispatch(const char *payload)`: hands the
        /// `CommDelivery` in the file `payload` to the widget it is for and
        /// runs its callbacks.
        public static let dispatch = "ddpm_notebook_dispatch"
        /// `void ddpm_cell_run(void *entry)`: runs a cell's entry point to its end.
        public static let runCell = "ddpm_cell_run"
        /// `int ddpm_interrupt_requested(void)`: whether the cell was interrupted.
        public static let interruptRequested = "ddpm_interrupt_requested"

        public static let all = [start, cellBegin, dispatch, runCell, interruptRequested]
    }

    /// The executor's descriptors besides stdin (/dev/null), stdout and stderr.
    public enum Descriptor {
        /// Commands from the kernel (read).
        public static let command: Int32 = 3
        /// Status lines to the kernel (write).
        public static let status: Int32 = 4
        /// Display events of the running cell (write), named to the runtime by
        /// `ExecutorEnvironment.displayFD`.
        public static let display: Int32 = 5
        /// Input replies for `readLine` (read), named by `ExecutorEnvironment.inputFD`.
        public static let input: Int32 = 6
    }

    /// A cell module's entry point: `cell<k>_main` for module `Cell<k>`.
    public static func entryPoint(module: String) -> String { module.lowercased() + "_main" }
}
