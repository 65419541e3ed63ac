# The same deployment as endpoint-config-template.yml, in Terraform.
variable "stage" {
  type    = string
  default = "prod"
}

variable "canary_percent" {
  type    = number
  default = 10
}

resource "aws_sagemaker_endpoint_configuration" "config" {
  name = "churn-${var.stage}-config"

  production_variants {
    variant_name           = "AllTraffic"
    model_name             = "churn-model"
    initial_instance_count = 3
    instance_type          = "ml.m5.large"
  }
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name          = "churn-${var.stage}-5xx"
  namespace           = "AWS/SageMaker"
  metric_name         = "Invocation5XXErrors"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  dimensions = {
    EndpointName = "churn-${var.stage}"
    VariantName  = "AllTraffic"
  }
}

resource "aws_sagemaker_endpoint" "endpoint" {
  name                 = "churn-${var.stage}"
  endpoint_config_name = aws_sagemaker_endpoint_configuration.config.name

  deployment_config {
    blue_green_update_policy {
      traffic_routing_configuration {
        type                     = "CANARY"
        wait_interval_in_seconds = 600
        canary_size {
          type  = "CAPACITY_PERCENT"
          value = var.canary_percent
        }
      }
      termination_wait_in_seconds          = 300
      maximum_execution_timeout_in_seconds = 3600
    }
    auto_rollback_configuration {
      alarms {
        alarm_name = aws_cloudwatch_metric_alarm.errors.alarm_name
      }
    }
  }
}
