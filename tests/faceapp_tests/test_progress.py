import io

from faceapp import progress


def test_text_progress_draws_and_finishes():
    out, now = io.StringIO(), [0.]
    bar = progress.TextProgress(out, 'prepare', width=10,
                                 clock=lambda: now[0])
    bar(1, 4)
    bar(2, 4)  # too soon: not drawn
    now[0] = 1.
    bar(4, 4)
    assert out.getvalue() == ('\rprepare [##........] 1/4'
                              '\rprepare [##########] 4/4\n')
