"""One options resolver for both models and compare.py."""
import pytest

from faceapp import options
from stargan import presets

CYCLEGAN = dict(model='cyclegan', domains=['smile', 'sad'])


@pytest.mark.parametrize('given', [{}, CYCLEGAN])
def test_presets_decay_and_intervals_follow_the_run(given):
    opts = options.resolve(dict(given, preset='tiny', iterations=40))
    assert opts['decay_start'] == 20 and opts['sample_interval'] == 4
    assert opts['snapshot_interval'] == 10
    assert opts['eval_interval'] == (0 if given else 10)
    gpu = options.resolve(dict(given, gpu=0))  # no device is touched
    assert gpu['preset'] == presets.GPU_DEFAULT
    assert options.resolve(given)['preset'] == presets.CPU_DEFAULT


def test_the_given_dict_is_not_changed_and_missing_keys_default():
    given = dict(dataset=['synthetic'], preset='tiny')
    opts = options.resolve(given)
    assert given == dict(dataset=['synthetic'], preset='tiny')
    assert opts['dataset'] == 'synthetic'  # one dataset: a plain value
    assert opts['n_train'] == options.defaults()['n_train']


@pytest.mark.parametrize('given', [{}, CYCLEGAN])
@pytest.mark.parametrize('key', ['iterations', 'batch_size', 'image_size'])
def test_a_zero_size_is_refused_for_both_models(given, key):
    # CycleGAN took the preset's value for 0 before: one rule for both now.
    flag = '--' + key.replace('_', '-')
    with pytest.raises(options.OptionError, match=flag + ' (0 )?must be'):
        options.resolve(dict(given, preset='tiny', **{key: 0}))


@pytest.mark.parametrize('given, message', [
    (dict(model='gan'), '--model must be one of cyclegan, stargan'),
    (dict(CYCLEGAN, augment='cutout'), '--augment works with --model '
     'stargan only'),
    (dict(dataset=['a', 'b'], joint_ratio=[1.]), 'one non-negative weight'),
    (dict(preset='paper256'), 'is a CycleGAN preset'),
    (dict(upsample='bilinear'), "--upsample must be one of deconv, resize, "
                                "got 'bilinear'"),
    (dict(CYCLEGAN, upsample='resize'), '--upsample resize works with '
     '--model stargan only'),
    (dict(CYCLEGAN, adversarial='r1'), '--adversarial works with --model '
     'stargan only'),
    (dict(dis_head='conditional'), "--dis-head must be one of auto, "
                                   "shared, per-domain, got 'conditional'"),
    (dict(CYCLEGAN, dis_minibatch_std=True), '--dis-minibatch-std works '
     'with --model stargan only'),
    (dict(dis_minibatch_std=True, communicator='naive'),
     '--dis-minibatch-std cannot train with --communicator'),
])
def test_bad_options_are_one_option_error(given, message):
    with pytest.raises(options.OptionError, match=message):
        options.resolve(given)


def test_upsampling_defaults_to_the_papers_deconvolution():
    assert options.resolve({})['upsample'] == 'deconv'
    assert options.resolve(dict(upsample='resize'))['upsample'] == 'resize'


def test_the_adversarial_loss_defaults_to_the_papers_wgan_gp():
    assert options.resolve({})['adversarial'] == 'wgan-gp'
    # --lambda-cls follows the head once the labels are known (see
    # tests/test_train_dis_head.py); CycleGAN has none.
    assert options.resolve({})['dis_head'] == 'shared'
    assert options.resolve({})['lambda_cls'] is None
    cyclegan = options.resolve(dict(model='cyclegan', domains=['a', 'b']))
    assert (cyclegan['dis_head'], cyclegan['lambda_cls']) == ('shared', 1.)
    assert options.resolve({})['lambda_r1'] == 1.0
