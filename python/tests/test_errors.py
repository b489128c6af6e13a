"""Bad input from Python raises Python exceptions carrying the C++ message."""

import pytest

import specrouter


def test_missing_folder(tmp_path):
    with pytest.raises(specrouter.ConfigError, match="missing"):
        specrouter.load_pool([tmp_path / "missing"])


def test_unknown_verifier_lists_the_registered_ones(pool):
    with pytest.raises(specrouter.UnknownComponentError, match="unknown verifier 'tokn'.*did you mean 'token'"):
        pool.speculate([[1, 2]], verifier="tokn", max_new_tokens=2)


def test_unknown_drafter_parameter(pool):
    with pytest.raises(specrouter.ConfigError, match="unknown parameter 'max_ngrams'"):
        pool.speculate([[1, 2]], chain=["target"], drafter="ngram", drafter_params={"max_ngrams": 2},
                       max_new_tokens=2)


def test_chain_not_ending_at_the_target(pool):
    with pytest.raises(specrouter.UsageError, match="must end at the target"):
        pool.speculate([[1, 2]], chain=["target", "draft"], draft_lengths=[2], max_new_tokens=2)


def test_wrong_types():
    with pytest.raises(TypeError):
        specrouter.load_pool([42])
    with pytest.raises(TypeError):
        specrouter.run_experiment("pool=tiny_random")


def test_bad_override_names_the_key(work_dir):
    with pytest.raises(specrouter.ConfigError, match="no_such_group"):
        specrouter.run_experiment(["no_such_group=x"], output_dir=work_dir / "bad")


def test_empty_prompt(pool):
    with pytest.raises(specrouter.SpecRouterError):
        pool.generate([[]], max_new_tokens=2)


def test_nan_weights_are_a_numerical_error(static_run, work_dir, tmp_path):
    """A checkpoint holding NaN weights is refused at load, naming the tensor."""
    import shutil

    import safetensors.torch
    import torch

    folder = tmp_path / "nan_target"
    shutil.copytree(work_dir / "target", folder)
    weights_file = next(folder.glob("*.safetensors"))
    tensors = safetensors.torch.load_file(weights_file)
    name = next(key for key in tensors if key.endswith("norm.weight"))
    tensors[name] = torch.full_like(tensors[name], float("nan"))
    safetensors.torch.save_file(tensors, weights_file, metadata={"format": "pt"})
    with pytest.raises(specrouter.NumericalError, match=name.replace(".", r"\.") + " holds NaN"):
        specrouter.load_pool([folder])
