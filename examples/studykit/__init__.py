"""Support code of the example studies: data loading, SNN models, training, membership attacks and reports."""
