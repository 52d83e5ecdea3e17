// Networks: tensors, layers, losses, models (the networks issue).
