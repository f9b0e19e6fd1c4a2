import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def orthonormal(rng, rows, cols):
    """A random (rows, cols) matrix with orthonormal columns, from numpy's QR."""
    q, _ = np.linalg.qr(rng.standard_normal((rows, cols)))
    return q


def assert_damaged_copies_refused(load, path, tmp_path):
    """``load`` refuses a truncated copy of the saved file at ``path`` and a copy with one bit of
    its payload flipped, each with a ValueError that says which."""
    data = path.read_bytes()
    (tmp_path / "truncated.bin").write_bytes(data[:-9])
    with pytest.raises(ValueError, match="truncated"):
        load(tmp_path / "truncated.bin")
    flipped = bytearray(data)
    flipped[60] ^= 0x01  # past the 48-byte header
    (tmp_path / "corrupt.bin").write_bytes(bytes(flipped))
    with pytest.raises(ValueError, match="corrupt"):
        load(tmp_path / "corrupt.bin")


def assert_drawn(path, min_width=400):
    """The image at ``path`` is a real figure: at least ``min_width`` pixels wide and not blank."""
    from PIL import Image

    image = np.asarray(Image.open(path).convert("L"), dtype=float)
    assert image.shape[1] >= min_width and image.std() > 10, (path, image.shape, image.std())


@pytest.fixture(scope="session")
def study(tmp_path_factory):
    """A short run of the built-in study with scrambled labels: its metrics and its page."""
    from netscope.studies.structure import run_structure_study

    out = tmp_path_factory.mktemp("study")
    metrics = run_structure_study(out, epochs=4, snapshots=(0, 2, 4), scrambled=0.05, progress=False)
    return metrics, out / "maps.html"


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium with the network off (tests/page_driver.py), one per test module."""
    from page_driver import start_browser

    driver = start_browser()
    yield driver
    driver.quit()


# The slow tests, which ``pytest -m "not slow"`` leaves out (the inner loop of CONTRIBUTING.md; plain ``pytest``, as
# the README and CI run it, runs them all). A file maps to the names of its slow tests, or to None when all of them
# are; every test that opens the ``browser`` fixture (headless Chromium) or the ``study`` fixture (a run of the
# built-in study) is slow as well. The seconds are ``pytest --durations`` on this project's 2-core machine while
# other work loaded it; tests/test_docs.py checks that every name here is a test of its file.
SLOW_FIXTURES = {"browser", "study"}
SLOW: dict = {
    "test_long_runs.py": None,  # real processes: torchrun over two ranks, kill -9 and resume, the large presets
    "test_multipass_runs.py": {  # real processes: 60-120 s a case while other work loaded the machine
        "test_multipass_killed_mid_run_resumes_bit_for_bit",
        "test_multipass_on_two_processes_equals_one",
    },
    "test_guides.py": None,  # the guides' examples, Lightning and the Trainer among them: 99 s
    "test_examples.py": {  # the notebooks, each executed in a kernel
        "test_the_kernel_runs_this_interpreter",
        "test_notebook_runs_without_errors",
    },
    "test_integrations.py": {  # Lightning and the Hugging Face Trainer, training
        "test_lightning_fit_records_the_start_and_every_epoch_of_the_trained_module",
        "test_lightning_records_a_wrapped_network_every_other_epoch_without_the_start",
        "test_lightning_records_on_rank_zero_only_and_names_a_wrong_module_or_a_missing_forward",
        "test_hf_trainer_records_the_start_and_every_epoch_of_the_encoder_blocks",
        "test_hf_trainer_records_on_world_process_zero_only",
        "test_a_missing_framework_says_what_to_install",  # a fresh interpreter without them: 4 s
    },
    "test_active.py": {
        "test_projection_intervals_cover_a_known_spectrum",  # 60 replayed streams: 508 s
        "test_projection_bootstrap_matches_the_gradient_bootstrap",  # 36 s
        "test_quadratic_loss_recovers_A_squared",  # 15 s
        "test_multipass_equals_the_snapshot_on_a_small_network",  # 9 s over its four cases
        "test_float32_sketch_fit_matches_float64_and_auto_picks_by_size",  # 4 s
        "test_cli_active_subspace_writes_figures_and_summary",  # the command, with its figures: 4 s
        "test_multipass_reaches_the_exact_top_k_of_a_decaying_spectrum",  # 8 s over its two iterations
        "test_sketch_method_matches_the_snapshot_leading_eigenvalues",  # 3 s
        "test_methods_agree_on_the_leading_eigenpairs",  # 3 s
    },
    "test_intervals.py": None,  # coverage measured on 300 simulated data sets per spectrum: 120-260 s a case
    "test_structure.py": {
        "test_cli_structure_compare_draws_umap_and_tsne_beside_netscope",  # UMAP's first call compiles: 77 s
        "test_cli_structure_writes_figures_animation_and_metrics",  # 20 s
    },
    "test_recording.py": {
        "test_structure_run_twice_equals_once_over_all_snapshots",  # 18 s
        "test_kill_9_mid_training_leaves_every_earlier_snapshot_readable",  # a real process killed: 15 s
        "test_a_plain_loop_writes_snapshots_that_read_back_as_recorded",  # 13 s
    },
    "test_transformers.py": {
        "test_a_loss_fn_receives_the_model_output_and_target_key_names_the_targets",  # 24 s
        "test_language_model_tracker_and_subspace_on_its_own_loss",  # 3 s
    },
    "test_cli.py": {
        "test_both_commands_run_on_a_users_own_model_data_and_checkpoints",  # 14 s
        "test_the_seed_command_runs_multipass",  # 8 s
        "test_a_model_is_sampled_at_its_weights_by_default_in_any_weights_format",  # 8 s
    },
    "test_vae.py": {
        "test_extreme_beta_collapses_every_unit_and_small_beta_does_not",  # 7 s
        "test_cli_vae_writes_metrics_and_figures",  # 6 s
        "test_same_seed_same_metrics",  # 4 s
    },
    "test_page.py": {"test_subspace_tracker_against_a_hand_computation"},  # 5 s over its two cases
    "test_user_models.py": {"test_the_loop_backend_gives_the_vmap_numbers_and_vmap_alone_names_what_fails"},  # 3 s
    "test_estimator_conventions.py": {"test_the_notebook_view_needs_no_matplotlib"},  # a fresh interpreter: 5 s
    "test_sketch.py": {"test_float32_sketch_matches_float64"},  # 15 s
    "test_rsvd.py": {"test_randomized_svd_matches_numpy_svd"},  # 19 s over its two shapes
    "test_graph.py": {"test_spectral_layout_arpack_branch_matches_the_dense_solver"},  # 7 s
    "test_readme.py": {"test_quick_start_runs_and_draws_its_picture"},  # trains, maps and fits: 13 s
}


@pytest.hookimpl(tryfirst=True)  # before -m reads the markers
def pytest_collection_modifyitems(config, items):
    for item in items:
        names = SLOW.get(item.path.name, ())
        name = getattr(item, "originalname", None) or item.name.partition("[")[0]
        if names is None or name in names or SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
