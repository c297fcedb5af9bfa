# glmnet reference fits for l1jax.
# Usage: Rscript glmnet_ref.R CASE_DIR [CASE_DIR ...]
# Each CASE_DIR holds inputs written by driver.py:
#   spec.txt   "key value" lines: family alpha standardize intercept lower type cv nlambda
#              measure (cv.glmnet's type.measure, or default)
#   X.csv (n x p, no header), y.csv (n x m; class codes for multinomial)
#   optional: w.csv (weights), pf.csv (penalty.factor), lambda.csv (given lambda seq),
#             foldid.csv (1-based fold ids, cv only)
# and receives glmnet's outputs:
#   g_lambda.csv, g_dev.csv (dev.ratio), g_coef.csv (K rows; per response: a0, beta_1..p),
#   for cv: g_cvm.csv, g_cvsd.csv, g_cvlambda.csv, g_cvsel.csv (lambda.min, lambda.1se)
#   g_warnings.txt (any R warnings), g_version.txt
suppressMessages(library(glmnet))
rd <- function(d, f) as.matrix(read.csv(file.path(d, f), header = FALSE))
wr <- function(x, d, f) write.table(x, file.path(d, f), sep = ",", row.names = FALSE,
                                   col.names = FALSE)
options(digits = 17)
for (d in commandArgs(TRUE)) {
  spec <- read.table(file.path(d, "spec.txt"), header = FALSE, stringsAsFactors = FALSE)
  S <- setNames(as.list(spec$V2), spec$V1)
  X <- rd(d, "X.csv"); colnames(X) <- NULL
  Y <- rd(d, "y.csv")
  n <- nrow(X); p <- ncol(X)
  fam <- S$family
  y <- switch(fam, mgaussian = Y, multinomial = factor(Y[, 1]), Y[, 1])
  a <- list(x = X, y = y, family = fam, alpha = as.numeric(S$alpha),
            standardize = S$standardize == "TRUE", intercept = S$intercept == "TRUE",
            thresh = as.numeric(Sys.getenv("GLMNET_THRESH", "1e-14")), maxit = 1e7)
  if (file.exists(file.path(d, "w.csv"))) a$weights <- rd(d, "w.csv")[, 1]
  if (file.exists(file.path(d, "pf.csv"))) a$penalty.factor <- rd(d, "pf.csv")[, 1]
  if (S$lower == "0") a$lower.limits <- 0
  if (fam == "multinomial") a$type.multinomial <- S$type
  if (file.exists(file.path(d, "lambda.csv"))) a$lambda <- rd(d, "lambda.csv")[, 1]
  else if (!is.null(S$nlambda)) a$nlambda <- as.integer(S$nlambda)
  warns <- character(0)
  fun <- if (S$cv == "1") cv.glmnet else glmnet
  if (S$cv == "1") a$foldid <- rd(d, "foldid.csv")[, 1]
  if (S$cv == "1" && !is.null(S$measure) && S$measure != "default")
    a$type.measure <- S$measure
  fit <- withCallingHandlers(do.call(fun, a), warning = function(w) {
    warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning")})
  if (S$cv == "1") {
    wr(fit$cvm, d, "g_cvm.csv"); wr(fit$cvsd, d, "g_cvsd.csv")
    wr(fit$lambda, d, "g_cvlambda.csv"); wr(c(fit$lambda.min, fit$lambda.1se), d, "g_cvsel.csv")
    fit <- fit$glmnet.fit
  }
  K <- length(fit$lambda)
  if (is.list(fit$beta)) {  # mgaussian / multinomial: one beta matrix per response
    blocks <- lapply(seq_along(fit$beta), function(k)
      cbind(fit$a0[k, ], t(as.matrix(fit$beta[[k]]))))
    co <- do.call(cbind, blocks)
  } else co <- cbind(fit$a0, t(as.matrix(fit$beta)))
  wr(fit$lambda, d, "g_lambda.csv"); wr(fit$dev.ratio, d, "g_dev.csv"); wr(co, d, "g_coef.csv")
  writeLines(warns, file.path(d, "g_warnings.txt"))
  writeLines(as.character(packageVersion("glmnet")), file.path(d, "g_version.txt"))
}
