internal import CNotebookRuntime

/// The notebook's interrupt (the ■ button): the kernel first only raises
/// this flag, which every long loop of the DSL checks each step, ending
/// cleanly and keeping its progress. A cell that does not stop within about
/// two seconds is killed and rolled back (DESIGN.md, "Interrupt").
public enum Interrupt {
    /// Whether the user asked the running cell to stop.
    public static var isRequested: Bool { ddpm_interrupt_requested() != 0 }

    /// Forgets the request (the kernel does this before each cell).
    public static func clear() { ddpm_clear_interrupt() }

    /// Makes SIGINT only raise the flag (the executor does this at start).
    public static func installHandler() { ddpm_install_interrupt_handler() }
}
