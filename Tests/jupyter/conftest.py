"""A real Jupyter client (jupyter_client) talking to the installed kernel."""

import queue
import time

import pytest
from jupyter_client.manager import start_new_kernel

KERNEL_NAME = "swift-ddpm"


class Session:
    """One running kernel and a blocking client, with a helper that runs a
    cell and gathers everything it published on iopub."""

    def __init__(self):
        self.km, self.kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=120)

    def close(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)

    def run(self, code, timeout=120, allow_stdin=False, stdin_answer=None, **options):
        msg_id = self.kc.execute(code, allow_stdin=allow_stdin, **options)
        outputs = []
        reply = None
        deadline = time.time() + timeout
        while time.time() < deadline:
            if stdin_answer is not None:
                try:
                    request = self.kc.get_stdin_msg(timeout=0.01)
                    if request["msg_type"] == "input_request":
                        self.kc.input(stdin_answer)
                except queue.Empty:
                    pass
            try:
                msg = self.kc.get_iopub_msg(timeout=0.05)
            except queue.Empty:
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                reply = self.kc.get_shell_msg(timeout=timeout)
                while reply["parent_header"].get("msg_id") != msg_id:
                    reply = self.kc.get_shell_msg(timeout=timeout)
                return Result(reply["content"], outputs)
            if msg["msg_type"] not in ("status", "execute_input"):
                outputs.append(msg)
        raise TimeoutError(f"no idle status within {timeout} s for {code!r}")


class Result:
    def __init__(self, reply, outputs):
        self.reply = reply
        self.outputs = outputs

    @property
    def status(self):
        return self.reply["status"]

    def stream(self, name="stdout"):
        return "".join(m["content"]["text"] for m in self.outputs
                       if m["msg_type"] == "stream" and m["content"]["name"] == name)

    @property
    def result(self):
        results = [m["content"]["data"]["text/plain"] for m in self.outputs if m["msg_type"] == "execute_result"]
        return results[-1] if results else None

    @property
    def errors(self):
        return [m["content"] for m in self.outputs if m["msg_type"] == "error"]

    def of_type(self, msg_type):
        return [m for m in self.outputs if m["msg_type"] == msg_type]


@pytest.fixture(scope="module")
def kernel():
    session = Session()
    yield session
    session.close()
