#!/usr/bin/python3
"""Full-model fine-tuning of a tiny BERT-style encoder, exported to ONNX.

A shell step of examples/finetune-torch/pipeline.yaml (issue #6). The
encoder is trained together with two heads on its first-token feature:

* an ETHICS head, binary cross-entropy (label 1 = wrong), and
* an fMRI head, mean squared error to the parcel vector of each trial
  (1024 parcels in the default pipeline),

in one of the study's training orders (ethics, fmri, joint, ethics_fmri,
fmri_ethics). The tuned encoder is written as model.onnx in the encode
step's contract (docs/models.md): inputs input_ids and attention_mask,
int64 [batch, sequence]; outputs last_hidden_state and hidden_states.0 ...
hidden_states.L, float32 [batch, sequence, H].

The encoder starts from RANDOM weights (seeded), so the result is a
FINE-TUNED FROM AN UNTRAINED TINY ENCODER model: it tests the pipeline, it
is not a language model. The label is in metrics.json and in the ONNX doc
string and metadata. To fine-tune a real model, see README.md.

Needs only PyTorch (Debian's python3-torch works); nothing is downloaded.
"""

import argparse
import csv
import io
import json
import math
import os
import random
import shutil
import sys
import time
import unicodedata

import torch
from torch import nn

ORDERS = {
    'ethics': ['ethics'],
    'fmri': ['fmri'],
    'joint': ['joint'],
    'ethics_fmri': ['ethics', 'fmri'],
    'fmri_ethics': ['fmri', 'ethics'],
}

LABEL = 'FINE-TUNED FROM AN UNTRAINED TINY ENCODER'
WARNING = (
    LABEL + ': random initial weights, fine-tuned on a few examples; '
    'not a language model, its activations test the pipeline only'
)


# --------------------------------------------------------------------------
# Tokenizer: a minimal BERT WordPiece, read from a tokenizer.json
# --------------------------------------------------------------------------


def is_punctuation(ch):
    """BERT's punctuation: ASCII symbols and Unicode category P*."""
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith('P')


def is_cjk(cp):
    """The CJK ideograph blocks BERT surrounds with spaces."""
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F
        or 0x2B740 <= cp <= 0x2B81F
        or 0x2B820 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


class WordPiece:
    """BertNormalizer + BertPreTokenizer + greedy WordPiece + [CLS] … [SEP].

    Covers the settings of the default encoder's tokenizer.json and of
    bert-base-uncased/cased. model.encode tokenizes with Hugging Face's own
    library, so for an exotic tokenizer.json the ids used here for training
    could differ from those used at encode time: this class refuses models
    other than WordPiece rather than guess.
    """

    def __init__(self, path):
        with open(path, encoding='utf-8') as f:
            spec = json.load(f)
        model = spec.get('model') or {}
        if model.get('type') != 'WordPiece':
            sys.exit(f'{path}: only WordPiece tokenizers are supported here')
        self.vocab = dict(model['vocab'])
        for added in spec.get('added_tokens') or []:
            self.vocab.setdefault(added['content'], added['id'])
        self.unk = model.get('unk_token', '[UNK]')
        self.prefix = model.get('continuing_subword_prefix', '##')
        self.max_chars = model.get('max_input_chars_per_word', 100)
        norm = spec.get('normalizer') or {}
        self.lowercase = norm.get('lowercase', True)
        strip = norm.get('strip_accents')
        # As in Hugging Face: strip_accents unset follows lowercase.
        self.strip_accents = self.lowercase if strip is None else strip
        self.clean_text = norm.get('clean_text', True)
        self.chinese = norm.get('handle_chinese_chars', True)
        self.cls_id = self.vocab['[CLS]']
        self.sep_id = self.vocab['[SEP]']
        self.pad_id = self.vocab.get('[PAD]', 0)
        self.vocab_size = max(self.vocab.values()) + 1

    def normalize(self, text):
        out = []
        for ch in text:
            cp = ord(ch)
            cat = unicodedata.category(ch)
            if self.clean_text:
                if (
                    cp == 0
                    or cp == 0xFFFD
                    or (cat.startswith('C') and ch not in '\t\n\r')
                ):
                    continue
                if ch.isspace():
                    ch = ' '
            if self.chinese and is_cjk(cp):
                out.append(f' {ch} ')
            else:
                out.append(ch)
        text = ''.join(out)
        if self.strip_accents:
            text = ''.join(
                c
                for c in unicodedata.normalize('NFD', text)
                if unicodedata.category(c) != 'Mn'
            )
        if self.lowercase:
            text = text.lower()
        return text

    def pre_tokenize(self, text):
        """Split on whitespace, and every punctuation mark alone."""
        words = []
        for chunk in text.split():
            current = ''
            for ch in chunk:
                if is_punctuation(ch):
                    if current:
                        words.append(current)
                        current = ''
                    words.append(ch)
                else:
                    current += ch
            if current:
                words.append(current)
        return words

    def word_ids(self, word):
        """Greedy longest-match-first; an unsplittable word is [UNK]."""
        if len(word) > self.max_chars:
            return [self.vocab[self.unk]]
        ids = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                piece = word[start:end]
                if start > 0:
                    piece = self.prefix + piece
                if piece in self.vocab:
                    found = self.vocab[piece]
                    break
                end -= 1
            if found is None:
                return [self.vocab[self.unk]]
            ids.append(found)
            start = end
        return ids

    def encode(self, text, max_length):
        ids = []
        for word in self.pre_tokenize(self.normalize(text)):
            ids.extend(self.word_ids(word))
        return [self.cls_id] + ids[: max_length - 2] + [self.sep_id]


# --------------------------------------------------------------------------
# The encoder: Hugging Face's BertModel shape, without the pooler
# --------------------------------------------------------------------------


class Layer(nn.Module):
    """A post-LN transformer block: self-attention, then erf-GELU FFN."""

    def __init__(self, hidden, heads, intermediate):
        super().__init__()
        self.heads = heads
        self.head_size = hidden // heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.attention_out = nn.Linear(hidden, hidden)
        self.attention_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.intermediate = nn.Linear(hidden, intermediate)
        self.output = nn.Linear(intermediate, hidden)
        self.output_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.gelu = nn.GELU()  # the exact (erf) GELU, as BERT's

    def split(self, x):
        b, s, _ = x.shape
        return x.view(b, s, self.heads, self.head_size).transpose(1, 2)

    def forward(self, x, bias):
        q, k, v = (
            self.split(self.query(x)),
            self.split(self.key(x)),
            self.split(self.value(x)),
        )
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_size) + bias
        context = torch.softmax(scores, dim=-1) @ v
        b, _, s, _ = context.shape
        context = context.transpose(1, 2).reshape(b, s, -1)
        x = self.attention_norm(x + self.attention_out(context))
        return self.output_norm(
            x + self.output(self.gelu(self.intermediate(x)))
        )


class Encoder(nn.Module):
    """Embeddings + LayerNorm, then `layers` blocks; every hidden state."""

    def __init__(self, vocab_size, hidden, layers, heads, max_length):
        super().__init__()
        self.words = nn.Embedding(vocab_size, hidden)
        self.positions = nn.Embedding(max_length, hidden)
        # One token type (0): the exported graph takes no token_type_ids.
        self.token_type = nn.Embedding(1, hidden)
        self.embedding_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.layers = nn.ModuleList(
            [Layer(hidden, heads, 4 * hidden) for _ in range(layers)]
        )
        self.register_buffer(
            'position_ids', torch.arange(max_length).unsqueeze(0)
        )

    def forward(self, input_ids, attention_mask):
        seq = input_ids.size(1)
        x = (
            self.words(input_ids)
            + self.positions(self.position_ids[:, :seq])
            + self.token_type.weight[0]
        )
        x = self.embedding_norm(x)
        # Padding as an additive -10000 on the attention scores, as BERT.
        bias = (1.0 - attention_mask[:, None, None, :].float()) * -10000.0
        states = [x]
        for layer in self.layers:
            x = layer(x, bias)
            states.append(x)
        return states


def init_weights(module):
    """Hugging Face's initialisation of an untrained BERT."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.02)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


class Contract(nn.Module):
    """The encoder with the contract's outputs, for the ONNX export."""

    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids, attention_mask):
        states = self.encoder(input_ids, attention_mask)
        return tuple([states[-1]] + states)


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------


def read_ethics(path, limit, rng):
    """(texts, labels) of an ETHICS commonsense CSV; a seeded subset."""
    with open(path, newline='', encoding='utf-8') as f:
        rows = [(r['input'], float(r['label'])) for r in csv.DictReader(f)]
    if limit and len(rows) > limit:
        rows = rng.sample(rows, limit)
    return [r[0] for r in rows], torch.tensor([r[1] for r in rows])


def read_fmri(path, field):
    """(texts, targets [N, K]) of an fmri.dataset JSONL file."""
    texts, targets = [], []
    with open(path, encoding='utf-8') as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                texts.append(row['text'])
                targets.append(row[field])
    return texts, torch.tensor(targets, dtype=torch.float32)


# --------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------


def auroc(scores, labels):
    """Mann-Whitney AUROC of scores for label 1; ties count half."""
    pos = scores[labels == 1]
    neg = scores[labels == 0]
    if len(pos) == 0 or len(neg) == 0:
        return None
    greater = (pos[:, None] > neg[None, :]).double().sum()
    ties = (pos[:, None] == neg[None, :]).double().sum()
    return float((greater + 0.5 * ties) / (len(pos) * len(neg)))


def fmri_metrics(pred, target):
    return {
        'n': len(target),
        'mse': float(((pred - target) ** 2).mean()),
        'cosine': float(
            nn.functional.cosine_similarity(pred, target, dim=1).mean()
        ),
    }


# --------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------


class Task:
    """One head's data, pre-tokenized, and its loss."""

    def __init__(self, name, tokenizer, texts, targets, max_length):
        self.name = name
        self.ids = [tokenizer.encode(t, max_length) for t in texts]
        self.targets = targets
        self.pad = tokenizer.pad_id

    def __len__(self):
        return len(self.ids)

    def batch(self, rows, device):
        width = max(len(self.ids[i]) for i in rows)
        ids = torch.full((len(rows), width), self.pad, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for j, i in enumerate(rows):
            ids[j, : len(self.ids[i])] = torch.tensor(self.ids[i])
            mask[j, : len(self.ids[i])] = 1
        return ids.to(device), mask.to(device), self.targets[rows].to(device)


def first_token(encoder, ids, mask):
    """The heads' feature: the last layer at the first token ([CLS])."""
    return encoder(ids, mask)[-1][:, 0]


def loss_of(task, encoder, heads, ids, mask, target):
    z = first_token(encoder, ids, mask)
    if task == 'ethics':
        logit = heads['ethics'](z).squeeze(-1)
        return nn.functional.binary_cross_entropy_with_logits(logit, target)
    return nn.functional.mse_loss(heads['fmri'](z), target)


def batches(n, size, gen):
    order = torch.randperm(n, generator=gen).tolist()
    return [order[i : i + size] for i in range(0, n, size)]


def run_stage(kind, epochs, encoder, heads, data, args, seed, device, log):
    """One stage: a fresh AdamW over the encoder and this stage's head(s).

    The other head is frozen (not in the optimiser: neither updated nor
    decayed). A joint step sums the two losses; an epoch has as many steps
    as the larger set has batches, cycling the smaller one.
    """
    tasks = ['ethics', 'fmri'] if kind == 'joint' else [kind]
    params = list(encoder.parameters())
    for t in tasks:
        params += list(heads[t].parameters())
    optimiser = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    gen = torch.Generator().manual_seed(seed)
    encoder.train()
    history = []
    for epoch in range(epochs):
        plans = {t: batches(len(data[t]), args.batch_size, gen) for t in tasks}
        steps = max(len(p) for p in plans.values())
        total = 0.0
        for step in range(steps):
            loss = 0.0
            for t in tasks:
                # The smaller set is cycled, reshuffled at each new pass.
                if step > 0 and step % len(plans[t]) == 0:
                    plans[t] = batches(len(data[t]), args.batch_size, gen)
                rows = plans[t][step % len(plans[t])]
                ids, mask, target = data[t].batch(rows, device)
                loss = loss + loss_of(t, encoder, heads, ids, mask, target)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss)
        history.append(
            {'stage': kind, 'epoch': epoch + 1, 'loss': total / steps}
        )
        log(f'{kind} epoch {epoch + 1}/{epochs}: loss {total / steps:.4f}')
    return history


@torch.no_grad()
def evaluate(encoder, heads, data, device, size=64):
    """ETHICS loss/accuracy/AUROC and fMRI MSE/cosine per evaluation set."""
    encoder.eval()
    out = {}
    for name, task in data.items():
        preds = []
        for i in range(0, len(task), size):
            rows = list(range(i, min(i + size, len(task))))
            ids, mask, _ = task.batch(rows, device)
            z = first_token(encoder, ids, mask)
            head = heads['ethics' if task.name == 'ethics' else 'fmri']
            preds.append(head(z).cpu())
        pred = torch.cat(preds)
        if task.name == 'ethics':
            logit = pred.squeeze(-1)
            out[name] = {
                'n': len(task),
                'loss': float(
                    nn.functional.binary_cross_entropy_with_logits(
                        logit, task.targets
                    )
                ),
                'accuracy': float(
                    ((logit > 0).float() == task.targets).float().mean()
                ),
                'auroc': auroc(logit, task.targets),
            }
        else:
            out[name] = fmri_metrics(pred, task.targets)
    return out


# --------------------------------------------------------------------------
# ONNX export with the label in the model's doc string and metadata
# --------------------------------------------------------------------------


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def proto_string(field, text):
    data = text.encode('utf-8')
    return varint(field << 3 | 2) + varint(len(data)) + data


def model_annotations(doc, metadata):
    """ModelProto doc_string (6) and metadata_props (14) as raw protobuf.

    Appended after torch's serialized ModelProto: protobuf merges fields
    read later, the last doc_string wins and metadata entries add up. This
    avoids needing the onnx Python package (Debian's torch does not ship
    it).
    """
    out = proto_string(6, doc)
    for key, value in metadata.items():
        entry = proto_string(1, key) + proto_string(2, value)
        out += varint(14 << 3 | 2) + varint(len(entry)) + entry
    return out


def export_onnx(encoder, path, layers, vocab_size, doc, metadata):
    encoder = encoder.to('cpu').eval()
    ids = torch.randint(5, vocab_size, (2, 7))
    mask = torch.ones_like(ids)
    mask[1, 5:] = 0
    hidden = [f'hidden_states.{i}' for i in range(layers + 1)]
    outputs = ['last_hidden_state'] + hidden
    axes = {name: {0: 'batch', 1: 'sequence'} for name in outputs}
    axes['input_ids'] = {0: 'batch', 1: 'sequence'}
    axes['attention_mask'] = {0: 'batch', 1: 'sequence'}
    buffer = io.BytesIO()
    torch.onnx.export(
        Contract(encoder),
        (ids, mask),
        buffer,
        input_names=['input_ids', 'attention_mask'],
        output_names=outputs,
        dynamic_axes=axes,
        opset_version=17,
        do_constant_folding=True,
    )
    with open(path, 'wb') as f:
        f.write(buffer.getvalue() + model_annotations(doc, metadata))


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def pick_device():
    """cuda when torch sees one and the engine gave this job a GPU."""
    visible = os.environ.get('CUDA_VISIBLE_DEVICES', '').strip()
    if visible and visible != '-1' and torch.cuda.is_available():
        return torch.device('cuda')
    return torch.device('cpu')


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument(
        '--tokenizer', required=True, help='BERT WordPiece tokenizer.json'
    )
    p.add_argument(
        '--ethics-train',
        help='ETHICS CSV to train on (default: a split of --ethics-test)',
    )
    p.add_argument(
        '--ethics-test', required=True, help='ETHICS CSV (label,input,...)'
    )
    p.add_argument('--ethics-hard', help='optional hard-test ETHICS CSV')
    p.add_argument(
        '--train-fraction',
        type=float,
        default=0.8,
        help='share of --ethics-test trained on without --ethics-train',
    )
    p.add_argument(
        '--max-ethics',
        type=int,
        default=256,
        help='rows per ETHICS file, 0 = all (CI-sized default)',
    )
    p.add_argument(
        '--fmri-train', required=True, help='fmri.dataset train JSONL'
    )
    p.add_argument(
        '--fmri-validation',
        required=True,
        help='fmri.dataset validation JSONL',
    )
    p.add_argument(
        '--target-field', default='fmri', help='JSONL key of the parcel vector'
    )
    p.add_argument('--order', required=True, choices=sorted(ORDERS))
    p.add_argument('--seed', type=int, default=212)
    p.add_argument('--epochs-ethics', type=int, default=15)
    p.add_argument('--epochs-fmri', type=int, default=55)
    p.add_argument('--epochs-joint', type=int, default=7)
    p.add_argument('--lr', type=float, default=3e-4)
    p.add_argument('--batch-size', type=int, default=8)
    p.add_argument('--layers', type=int, default=2)
    p.add_argument('--hidden-size', type=int, default=64)
    p.add_argument('--heads', type=int, default=4)
    p.add_argument('--max-length', type=int, default=128)
    p.add_argument(
        '--threads',
        type=int,
        default=0,
        help='torch CPU threads, 0 = torch default',
    )
    p.add_argument(
        '--out-dir',
        help='folder for model.onnx, tokenizer.json and metrics.json',
    )
    # A pipeline step names each output file: neuromake hands the command
    # temporary paths ({outputs.x}) and renames them once the job is done.
    p.add_argument('--model-out', help='model.onnx path (default: out-dir)')
    p.add_argument('--tokenizer-out', help='tokenizer.json copy path')
    p.add_argument('--metrics-out', help='metrics.json path')
    args = p.parse_args(argv)
    for flag, name in [
        ('model_out', 'model.onnx'),
        ('tokenizer_out', 'tokenizer.json'),
        ('metrics_out', 'metrics.json'),
    ]:
        if getattr(args, flag) is None:
            if args.out_dir is None:
                p.error(f'give --out-dir or --{flag.replace("_", "-")}')
            setattr(args, flag, os.path.join(args.out_dir, name))
    return args


def main(argv=None):
    args = parse_args(argv)
    started = time.time()
    log = lambda m: print(
        f'[finetune {args.order} seed {args.seed}] {m}', flush=True
    )
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    device = pick_device()
    log(f'device {device}; torch {torch.__version__}; {WARNING}')
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)

    tokenizer = WordPiece(args.tokenizer)
    # ETHICS: without a training file, a seeded split of the test file.
    test_texts, test_labels = read_ethics(
        args.ethics_test, args.max_ethics, rng
    )
    if args.ethics_train:
        train_texts, train_labels = read_ethics(
            args.ethics_train, args.max_ethics, rng
        )
        train_source = os.path.basename(args.ethics_train)
    else:
        cut = int(round(args.train_fraction * len(test_texts)))
        train_texts, train_labels = test_texts[:cut], test_labels[:cut]
        test_texts, test_labels = test_texts[cut:], test_labels[cut:]
        train_source = (
            f'{args.train_fraction:g} of {os.path.basename(args.ethics_test)}'
        )
    fmri_train = read_fmri(args.fmri_train, args.target_field)
    fmri_val = read_fmri(args.fmri_validation, args.target_field)
    parcels = fmri_train[1].shape[1]

    ml = args.max_length
    train = {
        'ethics': Task('ethics', tokenizer, train_texts, train_labels, ml),
        'fmri': Task('fmri', tokenizer, *fmri_train, ml),
    }
    evals = {
        'ethics_test': Task('ethics', tokenizer, test_texts, test_labels, ml),
        'fmri_validation': Task('fmri', tokenizer, *fmri_val, ml),
    }
    if args.ethics_hard:
        evals['ethics_hard_test'] = Task(
            'ethics',
            tokenizer,
            *read_ethics(args.ethics_hard, args.max_ethics, rng),
            ml,
        )

    encoder = Encoder(
        tokenizer.vocab_size, args.hidden_size, args.layers, args.heads, ml
    )
    init_weights(encoder)
    with torch.no_grad():
        encoder.words.weight[tokenizer.pad_id].zero_()
    heads = nn.ModuleDict(
        {
            'ethics': nn.Linear(args.hidden_size, 1),
            'fmri': nn.Linear(args.hidden_size, parcels),
        }
    )
    init_weights(heads)
    encoder.to(device)
    heads.to(device)

    epochs = {
        'ethics': args.epochs_ethics,
        'fmri': args.epochs_fmri,
        'joint': args.epochs_joint,
    }
    curves = []
    for i, kind in enumerate(ORDERS[args.order]):
        # Each stage its own random stream, so ethics_fmri's first stage is
        # the ethics-only run.
        curves += run_stage(
            kind,
            epochs[kind],
            encoder,
            heads,
            train,
            args,
            args.seed * 1000 + i,
            device,
            log,
        )
    results = evaluate(encoder, heads, evals, device)
    mean = fmri_train[1].mean(0, keepdim=True).expand_as(fmri_val[1])
    baseline = fmri_metrics(mean, fmri_val[1])

    for path in (args.model_out, args.tokenizer_out, args.metrics_out):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    name = (
        f'neuromake-finetuned-untrained-tiny-bert-L{args.layers}'
        f'-H{args.hidden_size}-{args.order}-seed{args.seed}'
    )
    metadata = {
        'name': name,
        'untrained': 'true',
        'finetuned': 'true',
        'finetune_order': args.order,
        'finetune_seed': str(args.seed),
        'warning': WARNING,
    }
    export_onnx(
        encoder,
        args.model_out,
        args.layers,
        tokenizer.vocab_size,
        WARNING + '.',
        metadata,
    )
    shutil.copyfile(args.tokenizer, args.tokenizer_out)
    metrics = {
        'label': LABEL,
        'warning': WARNING,
        'model': name,
        'untrained_base': True,
        'finetuned': True,
        'order': args.order,
        'stages': ORDERS[args.order],
        'seed': args.seed,
        'device': str(device),
        'torch': torch.__version__,
        'ethics': {
            'train_source': train_source,
            'train': {'n': len(train['ethics'])},
            'test': results['ethics_test'],
            **(
                {'hard_test': results['ethics_hard_test']}
                if 'ethics_hard_test' in results
                else {}
            ),
        },
        'fmri': {
            'parcels': parcels,
            'train': {'n': len(train['fmri'])},
            'validation': results['fmri_validation'],
            'validation_mean_predictor': baseline,
        },
        'params': {
            'lr': args.lr,
            'weight_decay': 0.01,
            'batch_size': args.batch_size,
            'epochs_ethics': args.epochs_ethics,
            'epochs_fmri': args.epochs_fmri,
            'epochs_joint': args.epochs_joint,
            'max_ethics': args.max_ethics,
            'layers': args.layers,
            'hidden_size': args.hidden_size,
            'heads': args.heads,
            'max_length': args.max_length,
            'features': 'first token of the last layer',
        },
        'curves': curves,
        'seconds': round(time.time() - started, 3),
    }
    with open(args.metrics_out, 'w', encoding='utf-8') as f:
        json.dump(metrics, f, indent=2)
        f.write('\n')
    log(
        f"ETHICS test accuracy {results['ethics_test']['accuracy']:.3f}, "
        f"fMRI validation MSE {results['fmri_validation']['mse']:.4f} "
        f'({metrics["seconds"]} s)'
    )


if __name__ == '__main__':
    main()
