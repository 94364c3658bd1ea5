"""Running tinymlc's build actions in its persistent worker (tinymlc/worker.py)."""

# One Python process serves many actions (JSON WorkRequests); without a worker (sandboxed,
# remote), the tool reads the same arguments from the params file.
WORKER_EXECUTION_REQUIREMENTS = {
    "requires-worker-protocol": "json",
    "supports-workers": "1",
}

def use_worker_params_file(args):
    """Puts `args` into a params file, one argument per line, as workers need.

    Args:
      args: the action's ctx.actions.args().
    """
    args.use_param_file("@%s", use_always = True)
    args.set_param_file_format("multiline")
