"""What the notebooks get from the SageMaker Python SDK and from S3, as constants.

The three AWS sample notebooks (aws/amazon-sagemaker-examples,
sagemaker-inference-deployment-guardrails/) call ``get_execution_role()``,
``sagemaker.image_uris.retrieve(...)``, ``S3Uploader.upload(...)`` and read a CSV test set they
download. Those SDK helpers are replaced by the values they return; everything else in the
scripts is the notebooks' boto3 code.
"""

from __future__ import annotations

ROLE = "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole"
ECR = "683313688378.dkr.ecr.us-east-1.amazonaws.com"
IMAGE_URI = (
    f"{ECR}/sagemaker-xgboost:0.90-1-cpu-py3"  # image_uris.retrieve("xgboost", ..., "0.90-1")
)
IMAGE_URI2 = f"{ECR}/sagemaker-xgboost:1.2-1"  # "1.2-1": incompatible with the model artifacts
IMAGE_URI3 = f"{ECR}/sagemaker-xgboost:0.90-2-cpu-py3"  # "0.90-2"
BUCKET = "sagemaker-us-east-1-123456789012"
MODEL_URL = f"s3://{BUCKET}/sagemaker/DEMO-Deployment-Guardrails/xgb-churn-prediction-model.tar.gz"
MODEL_URL2 = (
    f"s3://{BUCKET}/sagemaker/DEMO-Deployment-Guardrails/xgb-churn-prediction-model2.tar.gz"
)

#: Rows in the shape of test_data/test-dataset-input-cols.csv (churn features, no label).
TEST_ROWS = [
    "186,0.1,137.8,97,187.7,118,146.4,85,8.7,6,1,0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,0,0,1",
    "132,25,113.2,96,269.9,107,229.1,87,7.1,7,2,0,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,1,0,0,1,0",
    "112,0,178.1,117,266.4,92,208.8,92,10.6,3,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,0,0,0,1,0,1,0",
] * 400
