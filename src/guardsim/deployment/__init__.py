"""Pure SageMaker deployment logic: step planning and the controller's state machine."""
