print("stylegan: under construction")
