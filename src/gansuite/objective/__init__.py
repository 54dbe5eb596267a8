"""The adversarial objective, in plain torch (no Lightning): the losses, the regularizers of either player, the
augmentation of the discriminator's inputs, the schedules over training, and `adversarial.AdversarialObjective`,
which combines them for both players with the clock passed in."""
