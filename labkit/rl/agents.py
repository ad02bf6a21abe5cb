"""The deep RL agents 06 writes on its page, kept here for the notebooks after it (06b).

Each function is the source of a marked cell of ``06_reinforcement_learning`` (``# labkit: rl/agents.py::NAME``);
``tests/test_notebooks.py`` checks that the page and this file stay the same.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .inventory import VecInventory, observation


def mlp(n_in, n_out, hidden=64):
    return nn.Sequential(nn.Linear(n_in, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, n_out))


def ppo(config, steps, rates, forecast=False, demand=None, n_envs=64, horizon=128, epochs=4, minibatch=2048, lr=3e-4,
        gamma=0.99, lam=0.95, clip=0.2, ent_coef=0.01, reward_scale=10.0, seed=0):
    """Train an actor and a critic on ``n_envs`` copies of the problem; returns the actor and a learning curve.
    ``rates``: expected demand a day, or profiles (one drawn per copy and year, with its year of ``demand`` if given);
    ``forecast``: show the agent a forecast of the next lead time + 1 days, True for the truth (a perfect mean
    forecast) or forecasts shaped like ``rates`` (03's)."""
    torch.manual_seed(seed)
    given = None if isinstance(forecast, bool) else forecast
    forecast = given is not None or forecast
    env = VecInventory(config, rates, n=n_envs, seed=seed, demand=demand, resample=np.ndim(rates) == 2, forecast=given)
    obs = torch.tensor(observation(env, forecast))
    actor, critic = mlp(obs.shape[1], config.max_order + 1), mlp(obs.shape[1], 1)
    params = [*actor.parameters(), *critic.parameters()]
    opt = torch.optim.Adam(params, lr=lr)
    curve, done_steps = [], 0
    while done_steps < steps:
        O, A, logp, R, D, V = [], [], [], [], [], []
        with torch.no_grad():  # 1. collect
            for _ in range(horizon):
                dist = torch.distributions.Categorical(logits=actor(obs))
                a = dist.sample()
                cost, done, _ = env.step(a.numpy())
                O.append(obs), A.append(a), logp.append(dist.log_prob(a)), V.append(critic(obs).squeeze(-1))
                R.append(torch.tensor(-cost / reward_scale, dtype=torch.float32)), D.append(float(done))
                if done:
                    env.reset()
                obs = torch.tensor(observation(env, forecast))
            V.append(critic(obs).squeeze(-1))
            adv, last = torch.zeros(horizon, n_envs), torch.zeros(n_envs)
            for t in reversed(range(horizon)):  # generalised advantage estimation
                delta = R[t] + gamma * V[t + 1] * (1 - D[t]) - V[t]
                last = delta + gamma * lam * (1 - D[t]) * last
                adv[t] = last
            ret = adv + torch.stack(V[:-1])
        O, A, logp, adv, ret = torch.cat(O), torch.cat(A), torch.cat(logp), adv.flatten(), ret.flatten()
        for _ in range(epochs):  # 2. improve
            for mb in torch.randperm(len(A)).split(minibatch):
                dist = torch.distributions.Categorical(logits=actor(O[mb]))
                rho = (dist.log_prob(A[mb]) - logp[mb]).exp()
                a_mb = (adv[mb] - adv[mb].mean()) / (adv[mb].std() + 1e-8)
                policy_loss = -torch.min(rho * a_mb, rho.clamp(1 - clip, 1 + clip) * a_mb).mean()
                value_loss = ((critic(O[mb]).squeeze(-1) - ret[mb]) ** 2).mean()
                loss = policy_loss + 0.5 * value_loss - ent_coef * dist.entropy().mean()
                opt.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(params, 0.5)
                opt.step()
        done_steps += horizon * n_envs
        curve.append((done_steps, -torch.stack(R).mean().item() * reward_scale))  # cost per day while learning
    return actor.eval(), curve


def greedy(actor, forecast=False):
    """The trained policy, acting on its most probable order quantity."""
    def act(env):
        with torch.no_grad():
            return actor(torch.tensor(observation(env, forecast))).argmax(-1).numpy()
    return act
