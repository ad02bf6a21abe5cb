"""The lessons of the notebooks, checked on the metrics the test run itself recorded.

nbval (``make test``) executes every notebook; each one ends with ``record_metrics``. After
the notebooks have run, these tests read what they recorded in this session and check

1. every metric against the expected value of the default run (``tests/expected/``,
   written by ``make expected-metrics``) within a tolerance per metric family, measured
   across CPUs and thread counts (``TOLERANCES``; measurements in benchmarks/README.md,
   "Portability of the notebook results"), and
2. the orderings the notebooks' prose claims (LightGBM above logistic regression, the
   oracle above every model, the cleaned rows adding up, ...), with a margin.

Digits of model results are never compared exactly: they differ from one CPU to the next
(BLAS kernels, torch's AVX2/AVX-512 paths, LightGBM's histogram sums).
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

import pytest

import labkit
from labkit.course import notebook_paths
from labkit.datasets import companion_notebooks

pytestmark = [pytest.mark.notebooks, pytest.mark.after_notebooks]

EXPECTED_DIR = Path(__file__).parent / "expected"
COMPANIONS = companion_notebooks()  # real data only: no expected digits, their lessons are asserted below
COURSE = tuple(p.stem for p in notebook_paths() if p.stem not in COMPANIONS)  # the synthetic lessons, in order

# (family, pattern matched against the metric name, absolute tolerance). The first match wins.
# Tolerances sit a little above the largest difference measured between this machine's run
# and the runs as on an AVX2-only CPU, with torch's plain kernels and OpenBLAS Prescott, and
# with one thread (benchmarks/README.md, "Portability of the notebook results").
TOLERANCES: list[tuple[str, str, float]] = [  # (family, pattern, tolerance)  # largest |diff| measured
    # data, truth and oracles: computed without a trained model; the world's observed tables are
    # byte-identical under every variant (truth floats differ by <= 7e-15)
    ("data and oracles", r"^(n_|rows_|fault_|leakage_|purchase_rate|state_oracle|demand_realised|oracle_)"
                         r"|_oracle$|_observable_ceiling$", 1e-6),  # 0
    ("counting baselines", r"^next_product_recall5_(markov|popularity)$", 1e-9),  # counts, no float sums
    ("ROC-AUC", r"_auc", 0.005),  # 0.0004 (generic); 0.001 between two CPUs (issue #13)
    ("macro-F1 and F1", r"f1", 0.03),  # 0.0111 (generic: frozen embeddings); 0.017 between two CPUs (#13)
    ("calibration of 04's text models", r"^text_(ece|overconfidence)_", 0.03),  # 07: 04's MiniLM (its F1 moves 0.03)
    ("calibration error", r"_ece_", 0.01),  # 0
    ("calibration slope", r"_calibration_slope_", 0.1),  # 07: 05's early fusion (R^2 moves 0.03)
    ("WAPE", r"_wape_", 0.01),  # 0 (a flip of LightGBM's chosen config would move it ~0.005)
    ("MASE", r"_mase_", 0.02),  # 0
    ("recall@5 and MRR", r"_recall5_|_mrr_", 0.01),  # 0.004 between 1 and 2 threads (2026-12-05)
    ("text augmentation gains", r"^augment_", 0.005),  # 05 Part 7: TF-IDF + ridge, paired over the same subsets
    ("R^2", r"_r2_", 0.03),  # 05: ridge on frozen features, a small gated network
    ("probe accuracy", r"_probe_", 0.03),  # 05: logistic probes on frozen features
    # 06 Part 6: 03's LightGBM refitted on one thread (identical under AVX2 kernels and one thread); another CPU's
    # float sums could move a forecast, and with it an order-up-to level, by a unit
    ("inventory, on 03's forecast", r"^inv_cost_orderupto(_naive)?_seasonal$", 0.1),
    ("inventory, on 03's forecast: fill rate", r"^inv_fill_rate_orderupto(_naive)?_seasonal$", 0.01),
    ("03's forecast in 06", r"^inv_forecast_|^inv_error_ratio_", 0.01),
    # 06: the baselines are integer arithmetic on the same seeded demand
    ("inventory baselines", r"^inv_(cost|fill_rate)_(basestock\w*|ss|dp|orderupto)_\w+$|^inv_base_stock_level$", 1e-9),
    # 06: PPO's trajectory moves with the thread count and torch's kernels (AVX2: identical)
    # DQN: identical under AVX2 and 1 thread here, but its trajectory is chaotic (3 seeds: 7.47-8.73 a day under
    # backorders), so another CPU may land anywhere in that range; its lesson is asserted as bounds in test_06
    ("inventory, DQN: cost", r"^inv_cost_dqn_", 1.5),
    ("inventory, DQN: fill rate", r"^inv_fill_rate_dqn_", 0.05),
    # (PPO, backorders: 7.547 on an AMD EPYC, 7.730 on an Intel Xeon (both AVX-512), 7.571 there with AVX2 kernels;
    # seasonal on the Xeon: 7.396, AVX2 kernels 7.553, torch's default kernels 7.664, one thread 7.465)
    # PPO on 03's forecast (Part 6, 2026-12-07): 13.500 on the Xeon, 13.420 with AVX2 kernels, 13.102 on one thread
    ("inventory, PPO on 03's forecast: cost", r"^inv_cost_ppo_seasonal$", 0.8),
    ("inventory, learnt policies: cost", r"^inv_cost_(ppo|ppo_same_steps|sb3_ppo)_", 0.4),  # 0.268 (seasonal, default)
    ("inventory, learnt policies: fill rate", r"^inv_fill_rate_(ppo|ppo_same_steps|sb3_ppo)_", 0.02),  # 0.008
    # 06: steps per second are the machine's, not the lesson's: only their ordering is asserted (test_06_...)
    ("speed (asserted as an ordering only)", r"^rl_steps_per_s_", math.inf),
    # 06 Part 6: numpy on seeded shoppers; a flipped near-tie in a ranking would move a learner by a few purchases
    ("bandit regret", r"^bandit_regret_", 20.0),  # 3e-13 (NumPy without AVX-512, OpenBLAS Prescott, 1 thread)
    ("bandit purchase rate", r"^bandit_buy_rate_", 0.005),  # 0
    ("offline evaluation", r"^ips_value_", 0.005),  # 0
    # 07: released data and its checks are exact; bootstrap ratios and gaps rest on models trained in 03-07
    ("privacy (exact)", r"^privacy_|^k_anonymity_", 1e-9),
    ("bootstrap width ratio", r"^ci_width_ratio_", 0.3),
    ("campaign lift", r"^campaign_", 0.15),
    ("faithfulness: SHAP and LIME", r"^(shap|lime)_faithfulness_gap$", 0.05),
    ("faithfulness: integrated gradients", r"^ig_faithfulness_gap_", 0.08),
    ("drift monitor", r"^drift_detected_", 0.2),  # one festival week of 6 is 0.167
    ("message routing", r"^message_", 0.05),  # 07: TF-IDF and frozen MiniLM on quick, 04's fine-tuned MiniLM on gpu
]


def tolerance(name: str) -> tuple[str, float]:
    """The family and absolute tolerance of a metric name (ValueError if no family matches)."""
    for family, pattern, tol in TOLERANCES:
        if re.search(pattern, name):
            return family, tol
    raise ValueError(f"metric {name!r} belongs to no tolerance family: add it to TOLERANCES in {__file__}")


def expected_metrics(profile: str) -> dict[str, dict[str, float]]:
    path = EXPECTED_DIR / f"{profile}_metrics.json"
    if not path.exists():
        pytest.skip(f"no expected metrics for profile {profile!r} ({path.name}); make test runs quick")
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def profile() -> str:
    return labkit.get_profile(None).name


@pytest.fixture
def recorded(notebook_outcomes, profile):
    """The metrics a notebook recorded in this test session (skip if nbval did not run it here)."""

    def get(stem: str, key: str | None = None) -> dict[str, float]:
        if stem not in notebook_outcomes:
            pytest.skip(f"notebooks/{stem}.ipynb was not executed in this session (run `make test`)")
        outcomes = notebook_outcomes[stem]
        if not outcomes and stem in COMPANIONS and not (os.environ.get("LABKIT_REAL_DATA")
                                                        or os.environ.get("LABKIT_REQUIRE_REAL_DATA")):
            # conftest skipped its cells, as for every real-data companion without the data
            pytest.skip(f"notebooks/{stem}.ipynb is a real-data companion: LABKIT_REAL_DATA not set (see data/README.md)")
        if not outcomes or "failed" in outcomes:
            pytest.fail(f"notebooks/{stem}.ipynb did not run through in this session ({outcomes.count('failed')} "
                        "cell(s) failed, see above): its metrics are missing or stale")
        metrics = labkit.load_metrics(profile).get(key or stem)
        assert metrics, f"notebooks/{stem}.ipynb ran but recorded no metrics under {key or stem!r}"
        return metrics

    return get


def test_every_expected_metric_has_a_tolerance_family():
    for stem, metrics in expected_metrics("quick").items():
        assert stem in COURSE, f"{stem}: not a course notebook (tests/expected/quick_metrics.json)"
        for name in metrics:
            tolerance(name)


@pytest.mark.parametrize("stem", COURSE)
def test_recorded_metrics_match_the_default_run(recorded, profile, stem):
    expected = expected_metrics(profile).get(stem)
    assert expected, f"tests/expected/{profile}_metrics.json has no {stem}: run `make expected-metrics`"
    got = recorded(stem)
    assert set(got) == set(expected), (
        f"{stem}: recorded metrics differ from the expected names (new {sorted(set(got) - set(expected))}, "
        f"missing {sorted(set(expected) - set(got))}); after a deliberate change run `make expected-metrics`")
    off = []
    for name, value in expected.items():
        family, tol = tolerance(name)
        if got[name] != pytest.approx(value, abs=tol, rel=0):
            off.append(f"{name}: {got[name]:.6g} vs expected {value:.6g} (|diff| > {tol:g}, {family})")
    assert not off, f"{stem}: " + "; ".join(off)


def test_00_world_matches_its_truth(recorded, profile):
    m = recorded("00_data_tour")
    p = labkit.get_profile(profile)
    assert (m["n_users"], m["n_products"]) == (p.n_users, p.n_products)
    assert abs(m["demand_realised_over_expected"] - 1) < 0.02  # realised units follow the hidden demand
    assert 0.6 < m["state_oracle_auc"] < 1.0


def test_01_every_raw_row_is_accounted_for(recorded):
    m = recorded("01_data_cleaning")
    assert m["rows_clean"] + m["rows_quarantined"] == m["rows_raw"]
    assert m["fault_recall"] == 1.0 and m["rows_lost_wrongly"] == 0


def test_02_features_do_not_leak_and_carry_signal(recorded):
    m = recorded("02_feature_extraction")
    assert m["leakage_check_passed"] == 1
    assert 0.6 < m["baseline_intent_auc"] < m["oracle_intent_auc"] - 0.05


def test_03_purchase_intent_orderings(recorded):
    m = recorded("03_lstm")
    models = ("lstm", "gru", "lgbm", "logreg", "ensemble")
    # the tuned tabular baseline: LightGBM above logistic regression
    assert m["intent_auc_lgbm"] > m["intent_auc_logreg"]
    # the ensemble never falls below its better member by more than noise (weights chosen on validation)
    assert m["intent_auc_ensemble"] >= max(m["intent_auc_lgbm"], m["intent_auc_lstm"]) - 0.005
    # the observable ceiling is above every model, the state oracle above the ceiling
    assert all(m["intent_auc_observable_ceiling"] > m[f"intent_auc_{k}"] for k in models)
    assert m["intent_auc_oracle"] > m["intent_auc_observable_ceiling"] + 0.03
    assert all(m[f"intent_auc_{k}"] > 0.65 for k in models)
    # the prose's lesson on quick: with every training row the LSTM reaches the tuned tabular models
    # (measured 2026-12-05: LSTM 0.732-0.733 over three model seeds, logreg 0.729, LightGBM 0.735)
    assert m["intent_auc_lstm"] >= m["intent_auc_logreg"]
    assert m["intent_auc_lstm"] >= m["intent_auc_lgbm"] - 0.01


def test_03_next_product_orderings(recorded):
    m = recorded("03_lstm")
    # order is the signal by construction: the LSTM beats the first-order Markov chain clearly
    # (+0.064 on quick, +0.062 to +0.075 over three worlds and three model seeds), which beats popularity
    assert m["next_product_recall5_lstm"] > m["next_product_recall5_markov"] + 0.03
    assert m["next_product_recall5_markov"] > m["next_product_recall5_popularity"] + 0.2
    assert 0 < m["next_product_mrr_lstm"] < 1


def test_03_demand_orderings(recorded):
    m = recorded("03_lstm")
    # every learned forecast beats the seasonal naive clearly; none beats the forecast oracle
    for k in ("lstm", "lgbm", "ensemble"):
        assert m[f"demand_wape_{k}"] < 0.9 * m["demand_wape_snaive"]
        assert m[f"demand_wape_{k}"] >= m["demand_wape_oracle"]


def test_04_text_orderings(recorded):
    m = recorded("04_bert")
    models = ("bert", "tfidf", "frozen", "scratch")
    # the oracle (the rating before its noise) is far above every model
    assert all(m["review_macro_f1_oracle"] > m[f"review_macro_f1_{k}"] + 0.1 for k in models)
    # pretraining is worth a lot: the same network from random weights is clearly below
    assert m["review_macro_f1_bert"] > m["review_macro_f1_scratch"] + 0.05
    # where words mislead, fine-tuning wins: the hard slice (negation or contrast) by a clear margin,
    # and overall (measured 2026-12-05 on quick: +0.10 hard, +0.09 overall; the scratch model -0.09)
    assert m["negation_macro_f1_bert"] >= m["negation_macro_f1_tfidf"] + 0.05
    assert m["review_macro_f1_bert"] >= m["review_macro_f1_tfidf"]
    assert m["negation_macro_f1_bert"] > m["negation_macro_f1_scratch"]
    # Not asserted on quick: frozen embeddings below TF-IDF (the prose's cpu-profile claim).
    # support-message intent, where a profile runs it (cpu, gpu), is easy for both
    if "message_intent_macro_f1_bert" in m:
        assert min(m["message_intent_macro_f1_bert"], m["message_intent_macro_f1_tfidf"]) > 0.9


def test_05_fusion_orderings(recorded):
    m = recorded("05_multimodal_fusion")
    single = {k: m[f"coldstart_r2_{k}"] for k in ("tabular", "text", "image")}
    # fusion explains clearly more than the best single modality, in R^2 and WAPE (quick, 2026-12-06: early
    # fusion 0.442 vs text 0.324; WAPE 0.542 vs 0.599), and the modalities differ (image 0.176)
    assert m["coldstart_r2_fusion"] >= max(single.values()) + 0.05
    assert m["coldstart_wape_fusion"] < min(m[f"coldstart_wape_{k}"] for k in single) - 0.02
    assert max(single.values()) > min(single.values()) + 0.05
    # early beats late fusion; the gated network is no better than early fusion on 1,200 products
    assert m["coldstart_r2_fusion"] > m["coldstart_r2_late_fusion"] + 0.03
    assert m["coldstart_r2_gated"] <= m["coldstart_r2_fusion"] + 0.01
    # missing modalities cost the gated model something, noise in place of the image gains nothing
    assert m["coldstart_r2_fusion_no_image"] < m["coldstart_r2_gated"] and m["coldstart_r2_fusion_no_text"] < m["coldstart_r2_gated"]
    assert abs(m["coldstart_r2_noise_image_gain"]) < 0.05 and m["coldstart_r2_noise_image_gain"] < 0.01
    # perfect encoders would reach more, and the oracle more still (what no attribute tells)
    assert m["coldstart_r2_oracle"] > m["coldstart_r2_hidden_attributes"] + 0.1 > m["coldstart_r2_fusion"] + 0.1
    # the probes: the image reads the pattern, the text the material and the feature; the shade barely
    assert m["coldstart_probe_pattern_image"] > 0.9 > m["coldstart_probe_pattern_text"]
    assert m["coldstart_probe_material_text"] > 0.8 > m["coldstart_probe_material_image"]
    assert m["coldstart_probe_has_a_feature_text"] > m["coldstart_probe_has_a_feature_chance"] + 0.15
    assert m["coldstart_probe_trendy_shade_image"] < m["coldstart_probe_trendy_shade_chance"] + 0.1
    # TF-IDF on the same texts is a peer of the frozen MiniLM, not a different league (quick: 0.346 vs 0.324)
    assert abs(m["coldstart_r2_text_tfidf"] - m["coldstart_r2_text"]) < 0.1
    # Part 6: a small CNN learnt from 1,200 images reads them about as well as ridge on frozen ImageNet features or
    # better (quick seed 0: 0.214 vs 0.176 on 2026-12-07, 0.230 before; seeds 0-2 at 16 epochs 0.176-0.224), and stacking it costs fusion nothing
    assert m["coldstart_r2_image_cnn"] > m["coldstart_r2_image"] - 0.02
    assert m["coldstart_r2_fusion_cnn"] >= m["coldstart_r2_fusion"] - 0.01
    # colour jitter erases what the CNN keeps of the shade (probe 0.703, chance 0.726, plain CNN 0.736; in all six
    # runs of exercise 4 the jittered probe was 0.70-0.72) while the demand score hardly moves (0.221 vs 0.214)
    assert m["coldstart_probe_trendy_shade_cnn_jitter"] < m["coldstart_probe_trendy_shade_cnn"]
    assert m["coldstart_probe_trendy_shade_cnn_jitter"] < m["coldstart_probe_trendy_shade_chance"] + 0.01
    assert m["coldstart_r2_image_cnn_jitter"] > m["coldstart_r2_image_cnn"] - 0.05
    # Part 7, text augmentation (quick, 2026-12-07, 3 subsets per size): more products beat any augmentation (TF-IDF
    # 0.203 on 300 products, 0.346 on 1,200); the synonym swap adds about a hundredth at 300 and at 1,200 (+0.012,
    # +0.013), as much as canonical words at 1,200 (+0.012); word dropout helps at 300 (+0.013) and fades (+0.003)
    assert m["coldstart_r2_text_tfidf"] > m["augment_r2_text_small"] + 5 * max(m["augment_r2_gain_small"], 0.01)
    assert m["augment_r2_gain_small"] > 0.003 and m["augment_r2_gain_full"] > 0.003
    assert abs(m["augment_r2_gain_full"] - m["augment_r2_gain_canonical_full"]) < 0.005
    assert m["augment_r2_gain_dropout_full"] < m["augment_r2_gain_full"] - 0.005
    assert m["augment_r2_gain_dropout_full"] < m["augment_r2_gain_dropout_small"]


def test_06_inventory_policies(recorded):
    m = recorded("06_reinforcement_learning")
    c = {k[len("inv_cost_"):]: v for k, v in m.items() if k.startswith("inv_cost_")}
    # backorders: the critical fractile is the optimal level, and the grid finds the same (quick: S* = 20, 7.208 a day)
    assert m["inv_base_stock_level"] == 20
    assert c["basestock_tuned_backorder"] == c["basestock_backorder"]
    # lost sales: dynamic programming beats every base-stock level (6.131 vs 6.369 tuned, 6.597 at the fractile), and
    # its simulated cost is its computed gain (6.094), the 100 years being a sample
    assert c["dp_lostsales"] < c["basestock_tuned_lostsales"] - 0.1 < c["basestock_lostsales"] - 0.1
    assert abs(c["dp_lostsales"] - m["inv_dp_gain_oracle"]) < 0.1
    # PPO cannot beat the optimum beyond the noise of the sample, and gets within 10 % of it on quick (2026-12-06:
    # +4.7 % under backorders and +5.6 % under lost sales on an AMD EPYC; +7.2 % and +4.6 % on an AVX-512 Xeon)
    assert c["basestock_backorder"] - 0.1 < c["ppo_backorder"] < 1.10 * c["basestock_backorder"]
    assert c["dp_lostsales"] - 0.1 < c["ppo_lostsales"] < 1.10 * c["dp_lostsales"]
    assert m["inv_fill_rate_ppo_backorder"] > 0.9 and m["inv_fill_rate_ppo_lostsales"] > 0.9
    # DQN, with a quarter of PPO's steps and its best snapshot on the tuning years (3 seeds on quick: 7.47-8.73
    # under backorders, +4 to +21 %; 6.21-6.44 under lost sales, +1 to +5 %); its spread is why the bounds are wide
    assert c["basestock_backorder"] - 0.1 < c["dqn_backorder"] < 1.30 * c["basestock_backorder"]
    assert c["dp_lostsales"] - 0.1 < c["dqn_lostsales"] < 1.15 * c["dp_lostsales"]
    # Part 5: early on the library is ahead per step (quick, a tenth of the steps: 25.4 vs 50.7 a day), and our PPO,
    # with ten times the steps in about the same time, is far ahead of it (7.5); it steps several times faster
    assert c["sb3_ppo_backorder"] < c["ppo_same_steps_backorder"]
    assert c["ppo_backorder"] < c["sb3_ppo_backorder"] - 5
    assert m["rl_steps_per_s_own"] > 3 * m["rl_steps_per_s_sb3"]
    # Part 6, the world's seasons and promotions, ordered on 03's LightGBM refitted weekly (quick, 2026-12-07):
    # a perfect forecast halves the cost of a level fixed for the episode (7.07 vs 15.48); 03's forecast runs low on
    # these best sellers (-13 % against the units sold, -2 % on the others), so ordering up to it as if it were the
    # truth costs more than the fixed level (17.52); sized by its errors it beats the level (13.81), and PPO given it
    # ends within 10 % of that rule (13.50) and below the level
    assert c["orderupto_truth_seasonal"] < 0.7 * c["basestock_seasonal"]
    assert m["inv_forecast_bias_seasonal"] < 0 and m["inv_forecast_bias_sold_seasonal"] < m["inv_forecast_bias_sold_others"]
    assert c["orderupto_naive_seasonal"] > c["basestock_seasonal"]
    assert c["orderupto_seasonal"] < c["basestock_seasonal"] < c["orderupto_naive_seasonal"]
    assert m["inv_error_ratio_seasonal"] > 1
    assert c["ppo_seasonal"] < c["basestock_seasonal"]
    assert c["ppo_seasonal"] < 1.10 * c["orderupto_seasonal"]
    assert c["orderupto_truth_seasonal"] < min(c["orderupto_seasonal"], c["ppo_seasonal"])
    assert m["inv_fill_rate_ppo_seasonal"] > 0.85


def test_06_recommendation_bandit(recorded):
    m = recorded("06_reinforcement_learning")
    r = {k[len("bandit_regret_"):]: v for k, v in m.items() if k.startswith("bandit_regret_")}
    # quick, 20,000 shoppers, 3 runs: random 5,061 > best sellers 2,603 > epsilon-greedy 1,549 > LinUCB 1,072, Thompson
    # 1,121 > the best linear policy fitted on the truth 444 (the information the context lacks)
    assert r["random"] > r["popularity"] > r["egreedy"] > max(r["linucb"], r["thompson"]) > r["best_linear"] > 0
    # the prose's claim: exploring where unsure beats exploring at random (69 % of its regret; 57 % above the floor)
    assert r["linucb"] < 0.8 * r["egreedy"]
    assert r["linucb"] - r["best_linear"] < 0.7 * (r["egreedy"] - r["best_linear"])
    b = {k[len("bandit_buy_rate_"):]: v for k, v in m.items() if k.startswith("bandit_buy_rate_")}
    assert b["random"] < b["popularity"] < b["egreedy"] < b["linucb"] < b["best_linear"] < b["oracle"]
    # offline evaluation: IPS lands within its interval of the true value, the naive estimate does not
    # (quick: 0.186 +- 0.011 vs true 0.184; naive 0.201)
    assert abs(m["ips_value_estimate"] - m["ips_value_true"]) < m["ips_value_ci"]
    assert m["ips_value_naive"] - m["ips_value_true"] > m["ips_value_ci"]
    assert m["ips_value_error"] < 0.05


def test_07_evaluation(recorded):
    m = recorded("07_evaluation")
    # Part 1: resampling rows would understate the demand interval several times (quick: 3.9x), barely the
    # intent one (1.1x): a product's rows move together, a user's weeks hardly do
    assert m["ci_width_ratio_demand"] > 2.0 > 1.5 > m["ci_width_ratio_intent"] >= 0.8
    # Part 2: class weights break calibration (ECE 0.309 on quick), isotonic regression on validation repairs it
    # (0.016); 03's LSTM needs little (0.018 -> 0.016 after temperature scaling)
    assert m["intent_ece_before_calibration"] > 0.15 > 0.05 > m["intent_ece_after_calibration"]
    assert m["intent_ece_lstm_after_calibration"] < m["intent_ece_lstm_before_calibration"] + 0.005 < 0.05
    # DeLong's interval for an AUC difference treats rows as independent; a user's weeks nearly are, so it agrees
    # with the cluster bootstrap here (quick: the bootstrap's interval is 1.01x DeLong's for the ensemble)
    assert 0.8 < m["ci_width_ratio_delong_intent"] < 1.5
    # Part 2, the text models: all over-confident on reviews, the frozen-embedding regression the most (ECE 0.217 on
    # quick, fine-tuned 0.077, TF-IDF 0.045); a temperature fitted on validation removes most of it (0.047, 0.059)
    for name in ("tfidf", "frozen", "finetuned"):
        assert m[f"text_overconfidence_sentiment_{name}"] > 0, name
        assert m[f"text_ece_sentiment_{name}_after"] < m[f"text_ece_sentiment_{name}_before"], name
    assert m["text_ece_sentiment_frozen_before"] > max(m["text_ece_sentiment_finetuned_before"],
                                                       m["text_ece_sentiment_tfidf_before"])
    assert m["text_ece_sentiment_frozen_after"] < 0.5 * m["text_ece_sentiment_frozen_before"]
    # ... and the cold-start regression is calibrated in the large (slope 0.91 for early fusion)
    assert 0.8 < m["coldstart_calibration_slope_fusion"] < 1.2
    # Part 3: a campaign on the top 10 % by intent reaches several times the revenue of random contact (3.08x)
    assert m["campaign_revenue_lift_top10pct"] > 2.0
    # support messages are almost always routed right (1.000); the modest TF-IDF sends more on without a person once
    # calibrated (0.654 -> 1.000 at p >= 0.9)
    assert m["message_routed_right_share"] > 0.95
    assert m["message_auto_share_after_calibration"] > m["message_auto_share_before_calibration"] + 0.1
    # Part 4: the peers score on the same rows; the issue's target, 03's best within 5 % WAPE of the best peer
    # (quick: LightGBM 0.619 vs TSB 0.649, AutoETS 0.661, mlforecast 0.660)
    best_peer = min(m[f"demand_wape_{p}"] for p in ("statsforecast_ets", "statsforecast_tsb", "mlforecast_lgbm"))
    assert m["demand_wape_course_best"] < 1.05 * best_peer
    # Part 5: every explanation passes the deletion check (quick, top-3 minus random-3: SHAP 0.378 log-odds,
    # LIME 0.205, IG over the LSTM's events 0.082 logit, IG over MiniLM's word pieces 0.211)
    for name in ("shap_faithfulness_gap", "lime_faithfulness_gap", "ig_faithfulness_gap_lstm", "ig_faithfulness_gap_bert"):
        assert m[name] > 0.02, name
    # Part 7: retraining at every origin beats the frozen model (0.645 vs 0.660 mean WAPE over 16 origins), and the
    # monitor catches the festival weeks (6 of 6)
    assert m["backtest_wape_mean"] < m["backtest_wape_frozen_mean"]
    assert m["drift_detected_festival_weeks"] >= 0.5
    # Part 8: the pseudonymised tables re-join exactly; four quasi-identifiers single out some users (k = 1)
    assert m["privacy_rejoin_exact"] == 1.0
    assert m["k_anonymity_min"] >= 1


# --- the real-data companions (run by nbval when $LABKIT_REAL_DATA is set; skipped otherwise) -------------


def test_06b_policies_on_bootstrapped_real_demand(recorded):
    m = recorded("06b_online_retail_inventory")
    # on lumpy real demand a level tuned per product beats order-up-to a 28-day moving average (quick, 2026-12-06:
    # 22.74 vs 23.91 a day, paired difference +1.16 +- 0.14), and a tuned fractile does not rescue the forecast
    assert m["inv_cost_basestock"] < m["inv_cost_orderupto"] - 0.3
    assert m["inv_cost_basestock"] < m["inv_cost_orderupto_tuned"]
    # PPO given the same forecast ends near the order-up-to rule and does not beat the fixed level (23.49)
    assert m["inv_cost_ppo"] < 1.10 * m["inv_cost_orderupto"]
    assert m["inv_cost_ppo"] > m["inv_cost_basestock"] - 0.3
    assert 0.5 < m["inv_fill_rate_ppo"] < 1.0


def test_01b_every_raw_line_of_the_real_export_is_accounted_for(recorded):
    m = recorded("01b_online_retail")
    assert m["rows_raw"] == 541_909  # the official 2010-2011 release in ../shared/data
    assert m["rows_clean"] + m["rows_quarantined"] == m["rows_raw"]
    assert m["cancellations_matched"] > 5_000


def test_03b_real_orders_features_and_models(recorded):
    m = recorded("03b_online_retail")
    assert m["leakage_check_passed"] == 1
    assert 0.6 < m["baseline_intent_auc"] < 0.9
    # the prose: LightGBM and the LSTM beat the weekly seasonal naive; both repurchase models find signal
    assert m["demand_wape_lgbm"] < m["demand_wape_snaive"] and m["demand_wape_lstm"] < m["demand_wape_snaive"]
    # Part 3 (#16): with more series, capped trade orders and 3 seeds averaged, the LSTM beats the 28-day moving
    # average by 5 % or more and stays within 5 % of LightGBM, nearly unbiased (quick, 2026-12-06, model seeds 0
    # and 10: WAPE 0.944 / 0.949 vs moving average 1.051 and LightGBM 0.969; bias -0.7 % / +0.2 %)
    assert m["demand_wape_lstm"] <= 0.95 * m["demand_wape_ma"]
    assert m["demand_wape_lstm"] <= 1.05 * m["demand_wape_lgbm"]
    assert abs(m["demand_bias_lstm"]) <= 0.05
    # the peers: AutoETS lands near LightGBM; TSB, built for intermittent demand, is no better than the moving average
    assert abs(m["demand_wape_statsforecast_ets"] - m["demand_wape_lgbm"]) < 0.05
    assert m["demand_wape_statsforecast_tsb"] > m["demand_wape_ma"] - 0.02
    assert m["repurchase_auc_seq"] > 0.70 and m["repurchase_auc_lgbm"] > 0.70


def test_05b_fusion_pays_most_where_the_modalities_complement_each_other(recorded):
    m = recorded("05b_fashion_images")
    assert m["images_decoded"] == 2_000  # the quick sample, every image decoded
    season = max(m[f"season_macro_f1_{k}"] for k in ("tabular", "text", "image"))
    usage = max(m[f"usage_macro_f1_{k}"] for k in ("tabular", "text", "image"))
    # the season is written in no single place: fusion clearly beats the best single modality (quick,
    # 2026-12-06: 0.783 vs the catalogue columns 0.707); the usage is in the name (text 0.859 of the best
    # single modalities), and fusion adds less on top of it (0.881, +0.021)
    assert m["season_macro_f1_fusion"] >= season + 0.03
    assert m["usage_macro_f1_text"] == usage and usage > m["usage_macro_f1_tabular"] + 0.05
    assert usage - 0.01 <= m["usage_macro_f1_fusion"] and m["usage_macro_f1_fusion"] - usage < m["season_macro_f1_fusion"] - season
    # on short product names the bag of words beats the frozen sentence embedding
    assert m["season_macro_f1_text"] > m["season_macro_f1_text_minilm"] and m["usage_macro_f1_text"] > m["usage_macro_f1_text_minilm"]


def test_03c_session_aggregates_reach_the_published_ceiling(recorded):
    m = recorded("03c_online_shoppers")
    assert m["shoppers_auc_lgbm_mean"] > 0.90 and m["shoppers_auc_mlp_mean"] > 0.88
    assert abs(m["shoppers_auc_lgbm_mean"] - m["shoppers_auc_mlp_mean"]) < 0.02  # "within about a point"
    assert 0 < m["shoppers_auc_lgbm_std"] < 0.03


def test_04b_womens_reviews_with_few_labels(recorded):
    m = recorded("04b_real_texts", "04b_real_texts:womens_reviews")
    assert {"rating_macro_f1_bert", "rating_macro_f1_tfidf", "recommended_auc_bert", "recommended_auc_tfidf"} <= set(m)
    assert m["recommended_auc_tfidf"] > 0.8 and m["recommended_auc_bert"] > 0.7
    assert 0 <= m["text_dup_share_across_parts"] < 0.01  # a handful of repeated reviews (0.04 %), kept in one part
    # 5-class star rating from 600 reviews: above always-5-stars (macro-F1 ~0.15), far from perfect
    assert 0.15 < m["rating_macro_f1_tfidf"] < 0.6 and 0.15 < m["rating_macro_f1_bert"] < 0.6
    # #16: with class weights on both sides (TF-IDF's tuned on validation) and 6 epochs, the fine-tuned MiniLM beats
    # TF-IDF by 0.03 or more (quick, 2026-12-06: 0.453 vs 0.397) and no star rating collapses: every class is
    # predicted on a balanced test slice (smallest recall 0.18, 1 star)
    assert m["rating_macro_f1_bert"] >= m["rating_macro_f1_tfidf"] + 0.03
    assert m["rating_classes_predicted_balanced_bert"] == 5 and m["rating_min_class_recall_bert"] > 0
    assert m["recommended_auc_bert"] > m["recommended_auc_tfidf"]
