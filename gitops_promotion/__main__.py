from gitops_promotion.entry import main

raise SystemExit(main())
