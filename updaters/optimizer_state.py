"""Optimizer states that exist from the first iteration."""


def init_states(optimizer):
    """Creates every parameter's update-rule state now, on its device.

    Chainer creates Adam's moment estimates lazily, on a parameter's first
    update. A snapshot taken before the generator's first step (iteration
    < n_critic) would then lack them and could not be loaded. The values are
    those the first update would create (zeros), so training is unchanged.

    Args:
        optimizer (~chainer.Optimizer): Set up with its target.
    """
    for param in optimizer.target.params():
        rule = param.update_rule
        if rule is not None and rule.state is None and \
                param.array is not None:
            rule._init_states(param)  # what chainer runs on first update
