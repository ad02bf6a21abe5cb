"""04_bert's tasks, comparisons and hand-offs: review / message tasks on the quick world,
stratified caps, model comparison with and without class-bias tuning, the tuning loop,
embedding / prediction artifacts for 05 and 07, and the token-attribution plot."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from labkit import schema as S  # noqa: E402
from labkit.labels import sentiment_of_rating  # noqa: E402
from labkit.models.text import export as TX  # noqa: E402
from labkit.models.text import tasks as T  # noqa: E402


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def reviews(quick_world):
    return T.review_task("quick", 0, "sentiment")


def _task(y_train, y_valid, y_test, classes=("a", "b", "c")) -> T.TextTask:
    rows = [(f"text {i}", y, part) for part, ys in (("train", y_train), ("valid", y_valid), ("test", y_test))
            for i, y in enumerate(ys)]
    frame = pd.DataFrame(rows, columns=[S.TEXT, T.LABEL, S.PART])
    frame["flag"] = np.arange(len(frame)) % 2 == 0
    return T.TextTask("toy", classes, frame)


def test_review_task_labels_slices_and_oracle(reviews, quick_world):
    f = reviews.frame
    assert reviews.classes == S.SENTIMENTS and len(f) == len(quick_world.table("reviews"))
    assert np.array_equal(f[T.LABEL], sentiment_of_rating(f[S.RATING]))
    assert (f[T.HARD] == (f["has_negation"] | f["has_contrast"])).all() and 0.2 < f[T.HARD].mean() < 0.9
    # the parts follow time: every test review is written after every training review
    assert f.loc[f[S.PART] == "train", S.TIMESTAMP].max() < f.loc[f[S.PART] == "test", S.TIMESTAMP].min()
    # the oracle (rating before noise) agrees with the label most of the time, not always
    agree = (f["oracle"] == f[T.LABEL]).mean()
    assert 0.75 < agree < 1.0
    rating = T.review_task("quick", 0, "rating")
    assert rating.frame[T.LABEL].between(0, 4).all() and len(rating.classes) == 5
    with pytest.raises(ValueError, match="target"):
        T.review_task("quick", 0, "stars")


def test_message_task(quick_world):
    m = T.message_task("quick", 0)
    assert m.classes == S.INTENTS and set(m.frame[T.LABEL]) == set(range(len(S.INTENTS)))
    assert (np.asarray(S.INTENTS)[m.frame[T.LABEL]] == m.frame[S.INTENT]).all()


def test_text_task_validates():
    with pytest.raises(ValueError, match=r"label_id must be in 0\.\.2"):
        _task([0, 3], [0], [1])
    with pytest.raises(ValueError, match=r"no rows in part\(s\) \['valid'\]"):
        _task([0, 1], [], [1])
    with pytest.raises(ValueError, match="missing column"):
        T.TextTask("bad", ("a", "b"), pd.DataFrame({S.TEXT: ["x"], S.PART: ["train"]}))


def test_subsample_caps_stratified_and_seeded(reviews):
    sub = T.subsample(reviews, 300, 200, seed=0)
    sizes = sub.sizes()["total"]
    assert sizes["train"] == 300 and sizes["valid"] == 200 and sizes["test"] == 200
    full_share = reviews.part("train")[T.LABEL].value_counts(normalize=True)
    sub_share = sub.part("train")[T.LABEL].value_counts(normalize=True)
    assert (full_share - sub_share).abs().max() < 0.01
    again = T.subsample(reviews, 300, 200, seed=0)
    assert again.frame[S.REVIEW_ID].tolist() == sub.frame[S.REVIEW_ID].tolist()
    assert T.subsample(reviews, 300, 200, seed=1).frame[S.REVIEW_ID].tolist() != sub.frame[S.REVIEW_ID].tolist()
    keep = T.subsample(reviews, 10**6, None)
    assert len(keep.frame) == len(reviews.frame)
    with pytest.raises(ValueError, match="max_train"):
        T.subsample(reviews, 2, None)


def test_compare_scores_slices_bias_and_oracle():
    y_valid, y_test = [0, 1, 2, 0, 1, 2], [0, 1, 2, 2, 1, 0]
    task = _task([0, 1, 2], y_valid, y_test)
    perfect = {p: np.eye(3)[ys] for p, ys in (("valid", y_valid), ("test", y_test))}
    # a model that always leans to class 0 but ranks the right class second
    lean = {p: 0.6 * np.eye(3)[np.zeros(len(ys), int)] + 0.4 * np.eye(3)[ys] for p, ys in
            (("valid", y_valid), ("test", y_test))}
    table = T.compare(task, {"perfect": perfect, "lean": lean}, slices=["flag"])
    assert table.loc["perfect", "macro_f1"] == 1.0 and table.loc["perfect", "macro_f1[flag]"] == 1.0
    assert table.loc["lean", "accuracy"] == pytest.approx(2 / 6)
    tuned = T.compare(task, {"perfect": perfect, "lean": lean}, bias=True)
    assert tuned.loc["lean", "macro_f1"] == 1.0  # validation-tuned biases undo the lean
    with pytest.raises(ValueError, match="'valid' and 'test'"):
        T.compare(task, {"x": {"test": perfect["test"]}})


def test_compare_adds_oracle_row(reviews):
    sub = T.subsample(reviews, 100, 100)
    p = {q: np.full((len(sub.part(q)), 3), 1 / 3) for q in ("valid", "test")}
    table = T.compare(sub, {"uniform": p}, slices=[T.HARD])
    assert list(table.index) == ["uniform", "oracle"] and table.loc["oracle", "macro_f1"] > 0.7


def test_tune_fine_tune_keeps_best_learning_rate(tmp_path):
    pos = ["love this dress", "great fit and lovely colour", "really happy with it", "beautiful and comfortable"]
    neg = ["awful quality", "terrible fit, sending it back", "not happy at all", "cheap fabric and ugly"]
    texts = [(pos if i % 2 else neg)[(i // 2) % 4] for i in range(48)]
    parts = ["train"] * 32 + ["valid"] * 8 + ["test"] * 8
    task = T.TextTask("tiny", ("neg", "pos"), pd.DataFrame({S.TEXT: texts, T.LABEL: [i % 2 for i in range(48)],
                                                           S.PART: parts}))
    model, tok, trials = T.tune_fine_tune(task, [1e-6, 3e-4], epochs=2, max_length=16, batch_size=16,
                                          log_dir=tmp_path / "tb")
    assert trials["lr"].tolist() == [1e-6, 3e-4] and trials["train_texts"].tolist() == [32, 32]
    from labkit.training import tensorboard_scalars

    logged = tensorboard_scalars(tmp_path / "tb" / "lr0.0003")  # one folder per learning rate
    assert sorted((tmp_path / "tb").iterdir()) == [tmp_path / "tb" / "lr0.0003", tmp_path / "tb" / "lr1e-06"]
    assert logged["eval/loss"].dropna().index.tolist() == [2, 4]  # 2 steps per epoch, evaluated after each epoch
    assert logged["train/loss"].notna().sum() == 4  # every 5 % of 4 steps: every step
    hist = trials.attrs["history"]
    assert hist["train_loss"].tolist() == pytest.approx(
        [logged["train/loss"].loc[[1, 2]].mean(), logged["train/loss"].loc[[3, 4]].mean()], rel=1e-6)
    best = trials.loc[trials["valid_macro_f1"].idxmax()]
    assert best["lr"] == 3e-4 and best["valid_macro_f1"] == 1.0  # a near-zero rate cannot learn in 2 epochs
    assert list(trials.attrs["history"]["epoch"]) == [1, 2]
    with pytest.raises(ValueError, match="lrs"):
        T.tune_fine_tune(task, [], epochs=1)


def test_curve_sizes():
    assert T.curve_sizes(3000, 3, 2) == [750, 1500]
    assert T.curve_sizes(3000, 3, 0) == []
    assert T.curve_sizes(100, 5, 4) == [50]  # at least ten texts per class, duplicates merged
    with pytest.raises(ValueError, match="points"):
        T.curve_sizes(3000, 3, 5)


def test_file_task(tmp_path):
    from labkit.models.text import real as R

    path = tmp_path / "mine.csv"
    pd.DataFrame({"body": [f"text number {i}" for i in range(40)], "tag": ["x", "y"] * 20}).to_csv(path, index=False)
    task = R.file_task(path, "body", "tag", verbose=False)
    assert task.classes == ("x", "y") and set(task.frame[S.PART]) == {"train", "valid", "test"}
    assert task.frame.attrs["dup_share_across_parts"] == 0 and task.frame.attrs["moved_duplicates"] == 0
    with pytest.raises(ValueError, match="mine.csv: missing column"):
        R.file_task(path, "text", "tag", verbose=False)
    assert R.metrics_dataset("file", path) == "file-mine" and R.metrics_dataset("bitext") == "bitext"
    assert R.metrics_dataset("file", "my reviews (v2).csv.gz") == "file-my_reviews_v2"


def test_file_task_keeps_duplicate_texts_in_one_part(tmp_path, capsys):
    """A file whose texts repeat (a public review file: 79 % of test texts were in training): by default every
    copy of a text goes to one part; the share a plain split would have leaked is kept and printed."""
    from labkit.models.text import real as R

    texts = [f"review {i % 50}" for i in range(200)]  # each text 4 times
    texts[:4] = ["Review 0", "review  0", " REVIEW 0 ", "review 0"]  # the same after normalisation
    path = tmp_path / "dups.csv"
    pd.DataFrame({"text": texts, "label": [("a", "b")[(i % 50) % 2] for i in range(200)]}).to_csv(path, index=False)
    plain = R.file_task(path, verbose=False, group_duplicates=False)
    leak = plain.frame.attrs["dup_share_across_parts"]
    assert leak > 0.9  # nearly every held-out text has a copy in train under a plain split
    task = R.file_task(path, verbose=True)
    out = capsys.readouterr().out
    assert f"{leak:.2%} of the valid and test texts also occur in train" in out and "rows moved" in out
    norm = task.frame[S.TEXT].str.lower().str.split().str.join(" ")
    assert (task.frame.groupby(norm)[S.PART].nunique() == 1).all()  # every text in one part
    assert task.frame.attrs["dup_share_across_parts"] == pytest.approx(leak)  # the share before grouping
    assert len(task.frame) == 200  # nothing dropped: copies moved, not removed
    two = tmp_path / "two.csv"
    pd.DataFrame({"text": ["love it", "broke"] * 30, "label": ["good", "bad"] * 30}).to_csv(two, index=False)
    with pytest.raises(ValueError, match=r"two.csv: part\(s\) .* empty .* only 2 distinct .* GROUP_DUPLICATES"):
        R.file_task(two, verbose=False)


def test_file_task_small_files_and_empty_texts_get_clear_errors(tmp_path):
    from labkit.models.text import real as R

    rare = tmp_path / "rare.csv"
    pd.DataFrame({"text": [f"t{i}" for i in range(31)], "label": ["a"] * 30 + ["b"]}).to_csv(rare, index=False)
    with pytest.raises(ValueError, match=r"rare.csv: label\(s\) with fewer than 3 examples \{'1': 1\}"):
        R.file_task(rare, verbose=False)
    tiny = tmp_path / "tiny.csv"
    pd.DataFrame({"text": [f"t{i}" for i in range(12)], "label": list("abcd") * 3}).to_csv(tiny, index=False)
    with pytest.raises(ValueError, match="tiny.csv: 12 texts with 4 labels are too few for a stratified"):
        R.file_task(tiny, verbose=False)
    holes = tmp_path / "holes.csv"
    pd.DataFrame({"text": [f"text {i}" if i % 10 else "" for i in range(60)],
                  "label": ["x", "y"] * 30}).to_csv(holes, index=False)
    with pytest.raises(ValueError, match=r"allow_empty=True \(04b: ALLOW_EMPTY = True\)"):
        R.file_task(holes, verbose=False)
    task = R.real_text_tasks("file", text_file=holes, allow_empty=True, verbose=False)["label"]
    assert len(task.frame) == 54 and task.frame.attrs["dropped_empty"] == 6
    with pytest.raises(ValueError, match="needs TEXT_FILE"):
        R.real_text_tasks("file", text_file=None)


def test_embedding_and_prediction_artifacts(tmp_path):
    vec = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    path = TX.save_embeddings([7, 8, 9], vec, S.PRODUCT_ID, "quick", "toy", root=tmp_path)
    back = TX.load_embeddings("quick", "toy", root=tmp_path)
    assert path.is_file() and back[S.PRODUCT_ID].tolist() == [7, 8, 9]
    assert np.array_equal(TX.embedding_matrix(back), vec)
    with pytest.raises(ValueError, match="duplicates"):
        TX.save_embeddings([1, 1, 2], vec, S.PRODUCT_ID, "quick", "toy", root=tmp_path)
    with pytest.raises(ValueError, match="vectors"):
        TX.save_embeddings([1, 2], vec, S.PRODUCT_ID, "quick", "toy", root=tmp_path)
    with pytest.raises(FileNotFoundError, match="run notebooks/04_bert.ipynb"):
        TX.load_embeddings("quick", "missing", root=tmp_path)
    p = TX.save_predictions([1, 2], [0, 1], {"m": np.array([[0.9, 0.1], [0.2, 0.8]])}, ("neg", "pos"), "quick",
                            "toy", root=tmp_path)
    assert pd.read_parquet(p).columns.tolist() == ["row_id", "label_id", "m:neg", "m:pos"]
    with pytest.raises(ValueError, match=r"probs\['m'\]"):
        TX.save_predictions([1], [0], {"m": np.ones((2, 2))}, ("neg", "pos"), "quick", "toy", root=tmp_path)


def test_product_embeddings_rebuilt_when_missing(quick_world, tmp_path, monkeypatch):
    monkeypatch.setenv("LABKIT_ROOT", str(tmp_path))
    (tmp_path / "data" / "world").mkdir(parents=True)
    (tmp_path / "data" / "world" / "quick-seed0").symlink_to(quick_world.path)
    emb = TX.text_embeddings("products", "quick", 0)
    assert len(emb) == len(quick_world.table("products")) and emb.shape[1] == 1 + 384
    assert np.allclose(np.linalg.norm(TX.embedding_matrix(emb), axis=1), 1.0, atol=1e-5)
    assert (tmp_path / "artifacts" / "quick" / "synthetic-seed0" / "embeddings" / "products.parquet").is_file()
    some = emb[TX.S.PRODUCT_ID].to_numpy()[[3, 1]]
    sub = TX.text_embeddings("products", "quick", 0, ids=some)  # read from the saved artifact
    assert sorted(sub[TX.S.PRODUCT_ID]) == sorted(some)
    assert np.allclose(TX.embedding_matrix(sub.set_index(TX.S.PRODUCT_ID).loc[some].reset_index()),
                       TX.embedding_matrix(emb.set_index(TX.S.PRODUCT_ID).loc[some].reset_index()), atol=1e-5)
    only = TX.text_embeddings("products", "quick", 0, ids=some, rebuild=True)  # embeds only those rows
    assert len(only) == 2 and len(TX.load_embeddings("quick", "products")) == 2
    with pytest.raises(ValueError, match="ids: 1 not in the world's products"):
        TX.text_embeddings("products", "quick", 0, ids=[-5], rebuild=True)


def test_token_attribution_plot():
    import matplotlib

    matplotlib.use("Agg")
    from labkit import plots

    ax = plots.token_attributions([("not", -0.5), ("great", 1.0), ("##ly", 0.2)], title="t")
    assert [t.get_text() for t in ax.texts] == ["not", "great", "ly"]
    with pytest.raises(ValueError, match="pairs"):
        plots.token_attributions([])


def test_message_intent_standin_matches_04s_artifact(quick_world, monkeypatch):
    """07's stand-in for 04's message predictions: 04's rows, its file format, probabilities that sum to 1."""
    from labkit.labels import message_labels
    from labkit.models.text import embeddings, standin
    from labkit.profiles import get_profile
    from labkit.splits import course_split

    def words(texts, *args, **kwargs):  # a cheap stand-in encoder: hashed bag of words
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in t.lower().split():
                out[i, hash(w) % 64] += 1.0
        return out

    monkeypatch.setattr(embeddings, "embed", words)
    prof = get_profile("quick")
    parts = standin.message_intent_baselines(prof, 0)
    task = T.subsample(T.message_task(prof, 0), prof.bert_max_texts, prof.bert_eval_texts, 0)
    labels = message_labels(quick_world.table("messages"), course_split(quick_world.table("calendar")))
    for p, frame in parts.items():
        assert frame[S.MESSAGE_ID].tolist() == task.part(p)[S.MESSAGE_ID].tolist()
        assert frame[S.MESSAGE_ID].isin(labels[S.MESSAGE_ID]).all()
        assert frame.columns.tolist() == [S.MESSAGE_ID, "label_id"] + [f"{m}:{c}" for m in ("tfidf", "frozen")
                                                                       for c in S.INTENTS]
        for m in ("tfidf", "frozen"):
            probs = frame[[f"{m}:{c}" for c in S.INTENTS]].to_numpy()
            assert np.allclose(probs.sum(1), 1, atol=1e-5)
    test = parts["test"]
    right = test[[f"tfidf:{c}" for c in S.INTENTS]].to_numpy().argmax(1) == test["label_id"].to_numpy()
    assert right.mean() > 2 / len(S.INTENTS)  # TF-IDF reads the intent well above chance
