"""Meta-learners: how meta-parameters are adapted to tasks and updated.

>>> import torch
>>> from algorithms import MLP, make, mse, parameters_of, train
>>> from synthetic import SinusoidTasks
>>> model = MLP((1, 40, 40, 1))
>>> learner = make("maml", model, mse, inner_lr=0.01, inner_steps=1)
>>> params = parameters_of(model)
>>> loss = learner.meta_loss(params, SinusoidTasks().sample(25, torch.Generator().manual_seed(0)))
>>> loss.requires_grad
True
"""

from algorithms.agnostic_sam import AgnosticStep, agnostic_perturbation, agnostic_sam_step
from algorithms.body_head import BodyHead
from algorithms.checkpoint import checkpoint_metadata, load_checkpoint, save_checkpoint
from algorithms.chunked_meta_gradient import Chunked
from algorithms.compiled_meta_gradient import Compiled
from algorithms.convnet import ConvNet
from algorithms.evaluation import accuracy, evaluate_accuracy
from algorithms.inner_rules import (
    ExampleLoss,
    gradient_step,
    ridge_step,
    sign_step,
    task_gradients,
)
from algorithms.learner import MetaLearner
from algorithms.losses import TaskLoss, cross_entropy, mse, per_task_loss
from algorithms.meta_gradient import Autograd, MetaGradient
from algorithms.mlp import MLP
from algorithms.mlp_meta_gradient import HandWrittenPasses
from algorithms.outer_steps import optimizer_step
from algorithms.params import Params, check_params, parameters_of
from algorithms.probed_meta_gradient import FastestChunks
from algorithms.reduced_precision import ReducedPrecision
from algorithms.registry import available, make
from algorithms.sharpness_aware import (
    Ascent,
    RecordingSamStep,
    ReplayingSamStep,
    SamStep,
    SharpOuterStep,
    sharp_gradient,
)
from algorithms.train import DivergenceError, TrainResult, train

__all__ = [
    "MLP",
    "AgnosticStep",
    "Ascent",
    "Autograd",
    "BodyHead",
    "Chunked",
    "Compiled",
    "ConvNet",
    "DivergenceError",
    "ExampleLoss",
    "FastestChunks",
    "HandWrittenPasses",
    "MetaGradient",
    "MetaLearner",
    "Params",
    "RecordingSamStep",
    "ReducedPrecision",
    "ReplayingSamStep",
    "SamStep",
    "SharpOuterStep",
    "TaskLoss",
    "TrainResult",
    "accuracy",
    "agnostic_perturbation",
    "agnostic_sam_step",
    "available",
    "check_params",
    "checkpoint_metadata",
    "cross_entropy",
    "evaluate_accuracy",
    "gradient_step",
    "load_checkpoint",
    "make",
    "mse",
    "optimizer_step",
    "parameters_of",
    "per_task_loss",
    "ridge_step",
    "save_checkpoint",
    "sharp_gradient",
    "sign_step",
    "task_gradients",
    "train",
]
