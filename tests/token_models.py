"""Tiny Hugging Face models (random weights, built from configs: nothing downloaded) and padded
token datasets, shared by the tests of transformers models and of the Trainer callback."""

import torch
from torch.utils.data import Dataset

N_EXAMPLES, SEQ, VOCAB = 24, 10, 60


class TokenDataset(Dataset):
    """Padded token sequences as a tokenizer gives them: dicts of input_ids, attention_mask, labels."""

    def __init__(self, labels):
        generator = torch.Generator().manual_seed(0)
        self.ids = torch.randint(1, VOCAB, (N_EXAMPLES, SEQ), generator=generator)
        lengths = torch.randint(4, SEQ + 1, (N_EXAMPLES,), generator=generator)
        self.mask = (torch.arange(SEQ)[None, :] < lengths[:, None]).long()
        self.ids[self.mask == 0] = 0  # the pad token
        self.labels = labels(self.ids, self.mask)

    def __len__(self):
        return N_EXAMPLES

    def __getitem__(self, i):
        return {"input_ids": self.ids[i], "attention_mask": self.mask[i], "labels": self.labels[i]}


def tiny_bert():
    import transformers

    torch.manual_seed(0)
    config = transformers.BertConfig(
        vocab_size=VOCAB,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=32,
        num_labels=3,
    )
    return transformers.BertForSequenceClassification(config)


def tiny_gpt2():
    import transformers

    torch.manual_seed(0)
    config = transformers.GPT2Config(
        vocab_size=VOCAB, n_embd=16, n_layer=2, n_head=2, n_positions=32, bos_token_id=1, eos_token_id=1
    )
    return transformers.GPT2LMHeadModel(config)


def classification_set():
    return TokenDataset(lambda ids, mask: ids[:, 0] % 3)


def language_set():
    return TokenDataset(lambda ids, mask: ids.masked_fill(mask == 0, -100))  # padding ignored by the LM loss
