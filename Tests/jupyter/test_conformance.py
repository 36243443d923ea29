"""The Jupyter project's conformance suite (jupyter_kernel_test) against the
installed "Swift (DDPM)" kernel, with every sample the kernel supports."""

import unittest

import jupyter_kernel_test
from test_completion import wait_for_the_language_server


class SwiftDDPMKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "swift-ddpm"
    language_name = "swift"
    file_extension = ".swift"

    code_hello_world = 'print("hello, world")'
    code_stderr = 'import Glibc\nfputs("to stderr\\n", stderr)'

    complete_code_samples = ["1", 'print("hello, world")', "let x = 1", "func f() {}\n"]
    incomplete_code_samples = ["func f() {", "let a = [1,", "if x > 0 {\n    print(x)", 'let s = """\nabc']
    invalid_code_samples = ["let = 5", "}", "1 +* 2)"]

    # Answered by sourcekit-lsp (the kernel's word list would not know these members).
    completion_samples = [
        {"text": "NoiseSchedule(.linear, steps: 10).alphaBarsP", "matches": {"alphaBarsPrevious"}},
        {"text": "swissRo", "matches": {"swissRoll("}},
    ]
    code_inspect_sample = "NoiseSchedule"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        wait_for_the_language_server(cls)  # (it has `kc`, as the helper needs)

    code_generate_error = 'let wrong: Int = "not a number"'

    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"swift"', "result": '"swift"'},
        {"code": "[1, 2, 3].map { $0 * 2 }", "result": "[2, 4, 6]"},
        {"code": "let t = Tensor([1.0, 2.0])\nt.shape", "result": "[2]"},
    ]
    code_history_pattern = "6 *"
    supported_history_operations = ("tail", "range", "search")

    code_display_data = [
        {"code": 'display(html: "<b>bold</b>")', "mime": "text/html"},
        {"code": 'display(markdown: "# A title")', "mime": "text/markdown"},
        {"code": "display(png: [0x89, 0x50, 0x4E, 0x47])", "mime": "image/png"},
    ]

    code_clear_output = "clearOutput()"


if __name__ == "__main__":
    unittest.main()
