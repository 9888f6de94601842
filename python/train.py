#!/usr/bin/env python3
"""Train a GenLab model in PyTorch with DistributedDataParallel; the result is a GenLab weights
file that `genlab inspect` / `genlab sample` and the page open as they are.

    torchrun --nproc_per_node 8 python/train.py gan --channels 256 --epochs 30 --out gan-wide.safetensors
    srun python3 python/train.py ...          # any launcher: RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT
    python3 python/launch.py --nproc_per_node 2 python/train.py ...   # Debian 12 (its torchrun crashes)
    python3 python/train.py vae --steps 200 --out vae.safetensors     # one process

Each process trains on its own shard of the data, --batch samples per step (global batch =
batch x processes); DDP averages the gradients; rank 0 writes the file. Backend gloo on CPU,
nccl on GPUs (cuda:LOCAL_RANK). --init FILE starts from a GenLab weights file or checkpoint
(its architecture and weights; the arch options are then not allowed).
Recipes follow `genlab train` (src/train/*.h): Adam; DCGAN for gan/cgan (lr 2e-4, beta1 0.5,
one-sided label smoothing 0.9, non-saturating G loss, EMA of G); cosine decay to 5% for vae
and rnn; +-2 pixel shifts for the classifier; truncated BPTT over parallel streams for rnn.
"""
import argparse
import datetime
import faulthandler
import math
import os
import signal
import sys
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from genlab_torch import CharRnn, Classifier, Gan, Vae, Vocab, load_genlab, save_genlab  # noqa: E402
from genlab_torch.data import load_mnist  # noqa: E402
from genlab_torch.text import read_text  # noqa: E402

KINDS = {"gan": ("gan",), "cgan": ("cgan",), "vae": ("vae",), "classifier": ("classifier",),
         "rnn": ("char_rnn",)}


# --- processes ----------------------------------------------------------------------------------

class Dist:
    """rank / world / device from the launcher's environment (torchrun, srun, launch.py)."""

    def __init__(self, device_choice):
        env = os.environ
        self.rank = int(env.get("RANK", env.get("SLURM_PROCID", 0)))
        self.world = int(env.get("WORLD_SIZE", env.get("SLURM_NTASKS", 1)))
        self.local_rank = int(env.get("LOCAL_RANK", env.get("SLURM_LOCALID", 0)))
        cuda = torch.cuda.is_available() if device_choice == "auto" else device_choice == "cuda"
        if cuda and not torch.cuda.is_available():
            raise SystemExit("train.py: --device cuda but torch sees no GPU")
        # One GPU per process: cuda:LOCAL_RANK, or the only one a job runner left visible.
        self.device = torch.device(f"cuda:{self.local_rank % torch.cuda.device_count()}" if cuda else "cpu")
        if cuda:
            torch.cuda.set_device(self.device)
        if self.world > 1:
            for key in ("MASTER_ADDR", "MASTER_PORT"):
                if key not in env:
                    raise SystemExit(f"train.py: WORLD_SIZE={self.world} but {key} is not set "
                                     "(launch with torchrun, srun or python/launch.py)")
            dist.init_process_group("nccl" if cuda else "gloo", rank=self.rank, world_size=self.world,
                                    timeout=datetime.timedelta(minutes=10))

    @property
    def main(self):
        return self.rank == 0

    def wrap(self, module):
        if self.world == 1:
            return module
        return DistributedDataParallel(module, device_ids=[self.device] if self.device.type == "cuda" else None)

    def mean(self, value):
        """The mean of a float over all processes (for logging)."""
        if self.world == 1:
            return float(value)
        t = torch.tensor([float(value)], device=self.device)
        dist.all_reduce(t)
        return t.item() / self.world

    def check_in_sync(self, module):
        """DDP keeps every process's parameters identical; fail loudly if they are not."""
        if self.world == 1:
            return
        flat = torch.cat([p.detach().flatten() for p in module.parameters()])
        reference = flat.clone()
        dist.broadcast(reference, 0)
        worst = (flat - reference).abs().max()
        dist.all_reduce(worst, op=dist.ReduceOp.MAX)
        if worst.item() != 0:
            raise SystemExit(f"train.py: the processes' parameters differ by up to {worst.item():g}")
        if self.main:
            print(f"parameters identical on all {self.world} processes", file=sys.stderr, flush=True)

    def close(self):
        """The end of a run. With several processes this ends the process: after a barrier (so
        nobody leaves before rank 0 has written the file) it exits at once, because tearing down
        gloo process groups at exit now and then hangs in PyTorch 1.13 (seen here 2 runs in ~40;
        pytorch/pytorch#75097), with or without destroy_process_group()."""
        if self.world > 1:
            dist.barrier()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)


class Shards:
    """Mini-batches of indices into N samples: one permutation per epoch (the same on every
    process, from the seed), process r takes every world-th index from r."""

    def __init__(self, n, batch, d, seed):
        self.n, self.batch, self.d, self.seed = n, batch, d, seed
        self.per_epoch = n // (batch * d.world)
        if self.per_epoch < 1:
            raise SystemExit(f"train.py: {n} samples are fewer than one global batch "
                             f"({batch} x {d.world} processes); lower --batch")

    def indices(self, step):
        epoch, k = divmod(step, self.per_epoch)
        g = torch.Generator().manual_seed(self.seed * 100003 + epoch)
        mine = torch.randperm(self.n, generator=g)[self.d.rank::self.d.world]
        return mine[k * self.batch:(k + 1) * self.batch], epoch


def cosine_lr(lr, step, total, floor=0.05):
    """GenLab's schedule: cosine from lr to floor*lr over total steps."""
    t = min(step / max(total, 1), 1.0)
    return lr * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * t)))


# --- models -------------------------------------------------------------------------------------

class DigitTask:
    """Shared by the MNIST models: the training images on the device and their shards; with
    `lr`, the model wrapped for DDP (self.net) and its Adam optimiser."""

    def __init__(self, args, d, model, lr=None):
        images, labels = load_mnist("train", args.mnist_dir, args.limit)
        self.images = torch.from_numpy(images).to(d.device)
        self.labels = torch.from_numpy(labels).to(d.device)
        self.shards = Shards(len(images), args.batch, d, args.seed)
        self.d, self.args, self.model = d, args, model.to(d.device)
        if lr is not None:
            self.lr = lr
            self.net = d.wrap(self.model)
            self.opt = torch.optim.Adam(self.model.parameters(), lr)

    def update(self, loss):
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()

    def batch(self, step):
        idx, epoch = self.shards.indices(step)
        idx = idx.to(self.d.device)
        return self.images[idx], self.labels[idx], epoch


class GanTask(DigitTask):
    arch = ("latent", "channels", "d_channels", "pack")
    default_epochs = {"gan": 10, "cgan": 5}

    def __init__(self, args, d, model):
        super().__init__(args, d, model if model is not None else Gan(
            args.latent or 64, 10 if args.model == "cgan" else 0, args.channels or 64,
            args.d_channels or 16, args.pack or 1))
        if args.batch % self.model.config["d_pack"]:
            raise SystemExit(f"train.py: --batch {args.batch} is not a multiple of d_pack "
                             f"{self.model.config['d_pack']}")
        self.g = d.wrap(self.model.generator)
        self.disc = d.wrap(self.model.discriminator)
        lr = args.lr or 2e-4
        self.opt_g = torch.optim.Adam(self.model.generator.parameters(), lr, betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(self.model.discriminator.parameters(), lr, betas=(0.5, 0.999))
        self.ema = [p.detach().clone() for p in self.model.generator.parameters()] if args.ema > 0 else None
        self.conditional = self.model.config["classes"] > 0

    def step(self, step):
        real, labels, epoch = self.batch(step)
        real = real * 2 - 1                                       # [B, 784] in [-1, 1]
        labels = labels if self.conditional else None             # fake labels = the real ones
        z = torch.randn(real.shape[0], self.model.config["latent"], device=self.d.device)
        fake = self.g(z, labels).flatten(1)
        # D step on real and fake in one forward: real -> real_label, fake -> 0.
        both = torch.cat([real, fake.detach()])
        logits, _ = self.disc(both, None if labels is None else torch.cat([labels, labels]))
        real_logits, fake_logits = logits.chunk(2)
        d_loss = (F.binary_cross_entropy_with_logits(real_logits, torch.full_like(real_logits, self.args.real_label))
                  + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
        self.opt_d.zero_grad()
        d_loss.backward()
        self.opt_d.step()
        # G step through the updated D: non-saturating loss.
        logits, _ = self.disc(fake, labels)
        g_loss = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
        self.opt_g.zero_grad()
        g_loss.backward()
        self.opt_g.step()
        if self.ema is not None:  # ramped decay as GenLab: min(decay, (1+s)/(10+s))
            decay = min(self.args.ema, (1 + step) / (10 + step))
            with torch.no_grad():
                for e, p in zip(self.ema, self.model.generator.parameters()):
                    e.mul_(decay).add_(p.detach(), alpha=1 - decay)
        return {"D": d_loss.item(), "G": g_loss.item(), "D(x)": torch.sigmoid(real_logits).mean().item(),
                "epoch": epoch}

    def finish(self, round_weights):
        """EMA weights into G, BatchNorm statistics re-estimated for them (as gan_apply_ema)."""
        gen = self.model.generator
        extra = {}
        if self.ema is not None:
            with torch.no_grad():
                for e, p in zip(self.ema, gen.parameters()):
                    p.copy_(e)
            round_weights(self.model)
            gen.train()
            g = torch.Generator(device=self.d.device).manual_seed(7)
            bns = [m for m in gen.modules() if isinstance(m, torch.nn.BatchNorm2d)]
            with torch.no_grad():
                for k in range(100):  # cumulative average of 100 batches of 64
                    for bn in bns:
                        bn.momentum = 1.0 / (k + 1)
                    z = torch.randn(64, gen.latent, generator=g, device=self.d.device)
                    gen(z, torch.arange(64, device=self.d.device) % 10 if self.conditional else None)
            for bn in bns:
                bn.momentum = 0.1
            extra["ema_decay"] = f"{self.args.ema:g}"
        gen.eval()
        return extra


class VaeTask(DigitTask):
    arch = ("latent", "hidden", "layers")
    default_epochs = {"vae": 20}

    def __init__(self, args, d, model):
        super().__init__(args, d, model if model is not None else Vae(
            args.latent or 16, args.hidden or 192, args.layers or 2), lr=args.lr or 1e-3)

    def step(self, step):
        x, _, epoch = self.batch(step)
        for group in self.opt.param_groups:
            group["lr"] = cosine_lr(self.lr, step, self.total)
        loss, recon, kl = self.net(x, torch.randn(x.shape[0], self.model.config["latent"], device=x.device))
        self.update(loss)
        return {"-elbo": loss.item(), "kl": kl.item(), "epoch": epoch}

    def finish(self, round_weights):
        round_weights(self.model)
        x = torch.from_numpy(load_mnist("test", self.args.mnist_dir)[0]).to(self.d.device)
        g = torch.Generator(device=self.d.device).manual_seed(1234)
        with torch.no_grad():
            loss, recon, kl = self.model(x, torch.randn(len(x), self.model.config["latent"], generator=g,
                                                        device=x.device))
        print(f"test -ELBO {loss.item():.3f} nats (recon {recon.item():.3f} + KL {kl.item():.3f})",
              file=sys.stderr)
        return {"metric.test_neg_elbo_nats": f"{loss.item():.3f}", "metric.test_recon_nats": f"{recon.item():.3f}",
                "metric.test_kl_nats": f"{kl.item():.3f}",
                "metric.note": "1-sample negative ELBO per test image (10000 MNIST test digits), "
                               "Bernoulli likelihood on the continuous [0,1] intensities, nats (PyTorch)"}


class ClassifierTask(DigitTask):
    arch = ("channels1", "channels2", "hidden")
    default_epochs = {"classifier": 8}

    def __init__(self, args, d, model):
        super().__init__(args, d, model if model is not None else Classifier(
            args.channels1 or 16, args.channels2 or 32, args.hidden or 128), lr=args.lr or 1e-3)

    @staticmethod
    def shift(x, max_shift=2):
        """Each image moved by a random (dx, dy) in [-2, 2]^2 pixels, zero fill."""
        b = x.shape[0]
        padded = F.pad(x.view(b, 28, 28), (max_shift,) * 4)
        dy, dx = (torch.randint(0, 2 * max_shift + 1, (2, b), device=x.device))
        rows = (dy[:, None] + torch.arange(28, device=x.device))[:, :, None]
        cols = (dx[:, None] + torch.arange(28, device=x.device))[:, None, :]
        return padded[torch.arange(b, device=x.device)[:, None, None], rows, cols].view(b, 784)

    def step(self, step):
        x, y, epoch = self.batch(step)
        logits = self.net(self.shift(x))
        loss = F.cross_entropy(logits, y)
        self.update(loss)
        return {"loss": loss.item(), "acc": (logits.argmax(1) == y).float().mean().item(), "epoch": epoch}

    def finish(self, round_weights):
        round_weights(self.model)
        x, y = (torch.from_numpy(a).to(self.d.device) for a in load_mnist("test", self.args.mnist_dir))
        with torch.no_grad():
            acc = (self.model(x).argmax(1) == y).float().mean().item()
        print(f"test accuracy {acc:.4f}", file=sys.stderr)
        return {"metric.test_accuracy": f"{acc:.4f}"}


class RnnTask:
    arch = ("cell", "embed", "hidden", "layers")
    default_epochs = {"rnn": 1}

    def __init__(self, args, d, model):
        if not args.text:
            raise SystemExit("train.py rnn: --text FILE is required (any UTF-8 text; GenLab's cleaned "
                             "corpus: build/native/genlab export-corpus --bytes 2000000 --out jargon.txt)")
        text = read_text(args.text)
        cut = len(text) - int(len(text) * 0.05)  # GenLab's split: the last 5% (from a line start)
        newline = text.find("\n", cut) if 0 < cut < len(text) and text[cut - 1] != "\n" else -1
        cut = newline + 1 if newline >= 0 else cut
        self.train_text, self.val_text = text[:cut], text[cut:]
        self.model = model if model is not None else CharRnn(
            Vocab.of_text(text), args.cell or "lstm", args.embed or 32, args.hidden or 240,
            args.layers or 1, args.dropout).to(d.device)
        self.model.drop.p = args.dropout
        if self.model.config["layers"] > 1:
            self.model.rnn.dropout = args.dropout
        ids = torch.tensor(self.model.vocab.encode(self.train_text), device=d.device)
        streams = args.batch * d.world  # all processes' streams, contiguous pieces of the text
        self.length = (len(ids) - 1) // streams
        self.seq = min(args.seq, self.length)
        if self.seq < 1:
            raise SystemExit(f"train.py rnn: {len(ids)} characters are too few for {streams} streams")
        pieces = ids[:streams * self.length + 1]
        mine = range(d.rank * args.batch, (d.rank + 1) * args.batch)
        self.inputs = torch.stack([pieces[s * self.length:(s + 1) * self.length] for s in mine])
        self.targets = torch.stack([pieces[s * self.length + 1:(s + 1) * self.length + 1] for s in mine])
        self.per_epoch = self.length // self.seq
        self.net = d.wrap(self.model)
        self.lr = args.lr or 2e-3
        self.opt = torch.optim.Adam(self.model.parameters(), self.lr)
        self.state, self.d, self.args = None, d, args

    def step(self, step):
        epoch, k = divmod(step, self.per_epoch)
        if k == 0:
            self.state = None  # zero state at the start of every epoch
        span = slice(k * self.seq, (k + 1) * self.seq)
        for group in self.opt.param_groups:
            group["lr"] = cosine_lr(self.lr, step, self.total)
        logits, state = self.net(self.inputs[:, span].T, self.state)  # [T, B, V]
        self.state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
        loss = F.cross_entropy(logits.flatten(0, 1), self.targets[:, span].T.flatten())
        self.opt.zero_grad()
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.args.clip)
        self.opt.step()
        return {"bpc": loss.item() / math.log(2), "|g|": norm.item(), "epoch": epoch}

    def finish(self, round_weights):
        round_weights(self.model)
        self.model.eval()
        ids = torch.tensor(self.model.vocab.encode(self.val_text), device=self.d.device)
        if len(ids) < 2:
            return {}
        with torch.no_grad():  # one stream, state carried, as GenLab scores it
            logits, _ = self.model(ids[:-1, None])
            bpc = F.cross_entropy(logits[:, 0], ids[1:]).item() / math.log(2)
        print(f"validation {bpc:.4f} bits/char on {len(ids)} characters", file=sys.stderr)
        return {"corpus": self.args.text, "metric.val_bits_per_char": f"{bpc:.4f}",
                "metric.note": "bits per character on the last 5% of the text, one stream (PyTorch)"}


TASKS = {"gan": GanTask, "cgan": GanTask, "vae": VaeTask, "classifier": ClassifierTask, "rnn": RnnTask}


# --- command line -------------------------------------------------------------------------------

def parse_args(argv):
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--out", required=True, help="the GenLab weights file to write (.safetensors)")
    common.add_argument("--init", help="start from this GenLab weights file or checkpoint")
    common.add_argument("--steps", type=int, help="optimiser steps (default: --epochs)")
    common.add_argument("--epochs", type=float, help="passes over the data (default as genlab train)")
    common.add_argument("--batch", type=int, help="samples per step per process (default as genlab train)")
    common.add_argument("--lr", type=float, help="Adam learning rate (default as genlab train)")
    common.add_argument("--seed", type=int, default=1)
    common.add_argument("--f32", action="store_true", help="write F32 (default F16, as shipped)")
    common.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    common.add_argument("--log-every", type=int, help="steps between progress lines (default: 20 lines)")
    common.add_argument("--save-every", type=int, default=0, help="also write --out every N steps")
    digits = argparse.ArgumentParser(add_help=False)
    digits.add_argument("--mnist-dir", help="the MNIST IDX files (default: as genlab)")
    digits.add_argument("--limit", type=int, default=0, help="use the first N training images")

    parser = argparse.ArgumentParser(prog="train.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="model", required=True)
    for name in ("gan", "cgan"):
        p = sub.add_parser(name, parents=[common, digits], help=f"the {'class-conditional ' * (name == 'cgan')}DCGAN")
        p.add_argument("--latent", type=int)
        p.add_argument("--channels", type=int, help="generator channels at 7x7 (even)")
        p.add_argument("--d-channels", type=int, help="discriminator channels after conv1")
        p.add_argument("--pack", type=int, help="PacGAN: samples per discriminator input (gan only)")
        p.add_argument("--ema", type=float, default=0.999, help="EMA decay of the generator (0 = off)")
        p.add_argument("--real-label", type=float, default=0.9)
    p = sub.add_parser("vae", parents=[common, digits], help="the MLP VAE")
    for flag in ("--latent", "--hidden", "--layers"):
        p.add_argument(flag, type=int)
    p = sub.add_parser("classifier", parents=[common, digits], help="the digit classifier")
    for flag in ("--channels1", "--channels2", "--hidden"):
        p.add_argument(flag, type=int)
    p = sub.add_parser("rnn", parents=[common], help="the char-RNN (LSTM or GRU)")
    p.add_argument("--text", help="training text (UTF-8, .gz ok)")
    p.add_argument("--cell", choices=("lstm", "gru"))
    for flag in ("--embed", "--hidden", "--layers"):
        p.add_argument(flag, type=int)
    p.add_argument("--seq", type=int, default=64, help="truncated-BPTT length T")
    p.add_argument("--clip", type=float, default=5.0, help="gradient-norm clip")
    p.add_argument("--dropout", type=float, default=0.0)
    args = parser.parse_args(argv)
    # Not set_defaults: the subcommands share the parent's --batch action, so the last one wins.
    if args.batch is None:
        args.batch = {"gan": 64, "cgan": 64, "vae": 128, "classifier": 64, "rnn": 32}[args.model]
    if args.model in ("gan", "cgan") and not (0 <= args.ema < 1 and 0 < args.real_label <= 1):
        parser.error(f"--ema must be in [0, 1) and --real-label in (0, 1], got {args.ema} and {args.real_label}")
    for key in ("steps", "batch", "save_every", "log_every", "limit"):
        value = getattr(args, key, None)
        if value is not None and value < (0 if key in ("save_every", "limit") else 1):
            parser.error(f"--{key.replace('_', '-')} must be positive, got {value}")
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    faulthandler.register(signal.SIGUSR1)  # kill -USR1 PID prints where a process is
    d = Dist(args.device)
    task_class = TASKS[args.model]
    if d.world > 1 and d.device.type == "cpu" and "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(1)  # N processes on one machine: do not oversubscribe its cores
    torch.manual_seed(args.seed)  # the same initial weights on every process
    model, meta = None, {}
    if args.init:
        given = [a for a in task_class.arch if getattr(args, a, None) is not None]
        if given:
            raise SystemExit(f"train.py: --{given[0].replace('_', '-')}: the architecture comes from --init")
        model, meta = load_genlab(args.init)
        if meta["model"] not in KINDS[args.model]:
            raise SystemExit(f"train.py {args.model}: --init {args.init} is a {meta['model']} file")
        model = model.to(d.device).train()
    task = task_class(args, d, model)
    torch.manual_seed(args.seed * 1000 + d.rank + 1)  # each process its own noise
    per_epoch = task.shards.per_epoch if hasattr(task, "shards") else task.per_epoch
    epochs = args.epochs if args.epochs is not None else task.default_epochs[args.model]
    total = task.total = args.steps or max(1, round(epochs * per_epoch))
    log_every = args.log_every or max(1, total // 20)
    dtype = "F32" if args.f32 else "F16"
    command = "python/train.py " + " ".join(argv)
    # Like genlab train --resume: the file names the whole chain of trainings behind it.
    prior = meta["trained_with"] + " && " if "trained_with" in meta else ""
    trained_with = prior + f"{command} (PyTorch {torch.__version__}, {d.world} x {d.device.type})"
    if d.main:
        params = sum(p.numel() for p in task.model.genlab_tensors().values())
        print(f"train.py {args.model}: {params} parameters in the file, {d.world} process(es) on "
              f"{d.device.type}, {total} steps of {args.batch} x {d.world} samples "
              f"({per_epoch} steps per epoch)", file=sys.stderr, flush=True)

    def save(extra):
        save_genlab(task.model, args.out, {"trained_with": trained_with,
                                           "train_steps": str(step + 1), "train_world_size": str(d.world),
                                           "train_seconds": f"{time.time() - start:.0f}", **extra}, dtype)

    def round_weights(m):  # evaluate what the file will hold
        if dtype == "F16":
            with torch.no_grad():
                for t in m.genlab_tensors().values():
                    t.copy_(t.half().float())

    task.model.train()
    start, step = time.time(), 0
    for step in range(total):
        stats = task.step(step)
        if (step + 1) % log_every == 0 or step + 1 == total:
            loss = {k: d.mean(v) for k, v in stats.items() if k != "epoch"}
            if d.main:
                rate = (step + 1) * args.batch * d.world / (time.time() - start)
                eta = (total - step - 1) * (time.time() - start) / (step + 1)
                print(f"step {step + 1}/{total} epoch {stats['epoch'] + 1} " +
                      " ".join(f"{k} {v:.4f}" for k, v in loss.items()) +
                      f"  {rate:.0f} samples/s ETA {eta:.0f}s", file=sys.stderr, flush=True)
        if args.save_every and (step + 1) % args.save_every == 0 and d.main:
            save({})
    d.check_in_sync(task.model)
    if d.main:
        extra = task.finish(round_weights)
        save(extra)
        print(f"wrote {args.out} ({dtype}) after {time.time() - start:.1f}s", file=sys.stderr, flush=True)
    d.close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (ValueError, OSError) as e:  # bad options, files or data: a message, not a traceback
        print(f"train.py: {e}", file=sys.stderr)
        sys.exit(1)
