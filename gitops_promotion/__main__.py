from gitops_promotion.cli import main

raise SystemExit(main())
