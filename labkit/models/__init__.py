"""The course's models, grouped by task (03 onwards):

* ``purchase_intent/``: will a user buy in the next 7 days (03): ``data`` (the rows and the
  state oracle attached), ``sequence`` (the LSTM/GRU classifier), ``models`` (logistic
  regression, tuned LightGBM, tuning, ensemble, learning curve), and the real-data tracks
  ``shoppers`` (UCI Online Shoppers) and ``repurchase`` (30-day repurchase on Online Retail);
* ``demand/``: daily units per product, 14 days ahead (03): ``forecast`` (baselines, the
  LightGBM forecaster, the hand-off to 06/07), ``lstm`` (the global LSTM), ``retail`` (the
  Online Retail track);
* ``text/``: reviews and support messages (04): ``bert`` (MiniLM loading, the Trainer,
  fine-tuning, prediction), ``embeddings`` (frozen sentence embeddings), ``attributions``
  (gradient x input), ``baselines`` (TF-IDF, frozen embeddings + logistic regression),
  ``tasks`` (the text tasks and their comparison), ``export`` (embeddings, model and
  predictions handed to 05 and 07).

Every LightGBM model is fitted by a function named ``fit_lightgbm`` in its task's module
(the forecaster, a class with ``fit``/``predict`` like the LSTM's, is ``LightGBMForecaster``).
Import the submodules directly, e.g. ``from labkit.models.purchase_intent import models as I``;
nothing heavy (torch, lightgbm) loads on ``import labkit.models``.
"""
